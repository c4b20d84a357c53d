package kernels

import "testing"

// TestLookupCodes holds the decoder (assembly for 1- and 2-bit codes) to
// the bit layout it reads (code i at bits [pos+i·bits, pos+(i+1)·bits),
// least significant first) at every width, for runs that start and end
// inside words, with and without the inactive gradient to zero.
func TestLookupCodes(t *testing.T) {
	r := newRand(4)
	words := make([]uint64, 12)
	for i := range words {
		words[i] = r.Uint64()
	}
	var tab CodeTable
	for i := range tab {
		tab[i] = float32(i) + 0.5
	}
	for _, bits := range []int{1, 2, 4, 8} {
		for _, start := range []int{0, 1, 7, 32, 63} {
			pos := start * bits % 64 // a code boundary
			for n := range (len(words)*64 - pos) / bits {
				if n%7 != 0 && n > 70 {
					continue
				}
				got, plain, g := make([]float32, n), make([]float32, n), make([]float32, n)
				for i := range g {
					g[i] = 1
				}
				LookupCodes(got, g, words, pos, bits, &tab)
				LookupCodes(plain, nil, words, pos, bits, &tab)
				for i := range n {
					b := pos + i*bits
					code := words[b/64] >> (b % 64) & (1<<bits - 1)
					wantG := float32(1)
					if code&1 == 0 {
						wantG = 0
					}
					if got[i] != tab[code] || plain[i] != tab[code] || g[i] != wantG {
						t.Fatalf("bits %d pos %d n %d: [%d] = %v, g %v; want %v, %v", bits, pos, n, i, got[i], g[i], tab[code], wantG)
					}
				}
			}
		}
	}
}
