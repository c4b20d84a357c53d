package kernels

import (
	"math"
	"testing"
)

// TestMaxInto holds MaxInto (assembly on amd64) to Go's max at every length
// across the vector width, NaN in either operand included.
func TestMaxInto(t *testing.T) {
	specials := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), -1.5, 2.25, 7, -3}
	r := newRand(6)
	for n := range 40 {
		dst, src := make([]float32, n), make([]float32, n+3)
		for i := range dst {
			dst[i] = specials[r.IntN(len(specials))]
		}
		for i := range src {
			src[i] = specials[r.IntN(len(specials))]
		}
		got := append([]float32(nil), dst...)
		MaxInto(got, src)
		for i, d := range dst {
			if want := max(d, src[i]); !sameFloat(got[i], want) {
				t.Fatalf("n=%d: max(%v, %v) = %v, want %v", n, d, src[i], got[i], want)
			}
		}
	}
}
