package kernels

import (
	"math"
	"testing"
)

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
	tab[0] = float32(math.Copysign(0, -1)) // copied bit for bit
	tab[2] = float32(math.NaN())
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
					if bits32(got[i]) != bits32(tab[code]) || bits32(plain[i]) != bits32(tab[code]) || bits32(g[i]) != bits32(wantG) {
						t.Fatalf("bits %d pos %d n %d: [%d] = %v, g %v; want %v, %v", bits, pos, n, i, got[i], g[i], tab[code], wantG)
					}
				}
			}
		}
	}
}

func bits32(v float32) uint32 { return math.Float32bits(v) }

// BenchmarkLookupCodes times decoding a 32×32 feature-map row (the
// assembly where the CPU has it; -tags purego for the Go loops).
func BenchmarkLookupCodes(b *testing.B) {
	const n = 1024
	r := newRand(5)
	words := make([]uint64, n/32)
	for i := range words {
		words[i] = r.Uint64()
	}
	var tab CodeTable
	for i := range tab {
		tab[i] = float32(i)
	}
	dst, g := make([]float32, n), make([]float32, n)
	for _, c := range []struct {
		name string
		bits int
		g    []float32
	}{{"1bit", 1, nil}, {"2bit", 2, nil}, {"2bit-inactive", 2, g}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				LookupCodes(dst, c.g, words, 0, c.bits, &tab)
			}
		})
	}
}
