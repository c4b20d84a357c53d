package kernels

import (
	"math"
	"testing"
)

// specialFloats mixes ordinary values with the ones vector code gets wrong
// first: NaN, ±Inf, −0 and a denormal.
var specialFloats = []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
	float32(math.Copysign(0, -1)), 0, 1e-40, -1.5, 2.25, 7, -3}

func randSpecials(n int, seed uint64) []float32 {
	r := newRand(seed)
	s := make([]float32, n)
	for i := range s {
		s[i] = specialFloats[r.IntN(len(specialFloats))]
	}
	return s
}

// TestElementwise holds each helper (assembly on amd64) to its Go loop,
// bit for bit (NaN for NaN), at every length across the vector width.
func TestElementwise(t *testing.T) {
	helpers := map[string]struct {
		fast func(dst, src []float32)
		want func(d, s float32) float32
	}{
		"MaxInto": {MaxInto, func(d, s float32) float32 { return max(d, s) }},
		"AddInto": {AddInto, func(d, s float32) float32 { return d + s }},
		"Relu": {Relu, func(_, s float32) float32 {
			if s < 0 {
				return 0
			}
			return s
		}},
		"ScaleAdd": {func(d, s []float32) { ScaleAddRows(d, s, 1, len(d), 0, 1.5, -0.25, false) }, func(_, s float32) float32 { return float32(1.5*s) - 0.25 }},
		"ScaleAddRelu": {func(d, s []float32) { ScaleAddRows(d, s, 1, len(d), 0, 1.5, -0.25, true) }, func(_, s float32) float32 {
			if y := float32(1.5*s) - 0.25; !(y < 0) {
				return y
			}
			return 0
		}},
		"ZeroOutside":     {func(d, s []float32) { ZeroOutside(d, s, 0, math.MaxFloat32) }, zeroOutside(0, math.MaxFloat32)},
		"ZeroOutsideClip": {func(d, s []float32) { ZeroOutside(d, s, -2, 6) }, zeroOutside(-2, 6)},
	}
	for name, h := range helpers {
		for n := range 40 {
			dst, src := randSpecials(n, uint64(n)), randSpecials(n+3, uint64(n+100))
			got := append([]float32(nil), dst...)
			h.fast(got, src)
			for i, d := range dst {
				w := h.want(d, src[i])
				if name == "MaxInto" && got[i] == w {
					continue // the sign of a zero maximum is unspecified
				}
				if !sameFloat(got[i], w) {
					t.Fatalf("%s n=%d: [%d] from (%v, %v) = %v, want %v", name, n, i, d, src[i], got[i], w)
				}
			}
		}
	}
}

// TestScaleAddRows checks the row walk of ScaleAddRows: each of rows rows
// written, the elements between them untouched.
func TestScaleAddRows(t *testing.T) {
	for n := range 40 {
		const rows = 3
		stride := n + 5
		src := randSpecials(rows*stride, uint64(n+500))
		got := make([]float32, rows*stride)
		fillSentinel(got)
		ScaleAddRows(got, src, rows, n, stride, 0.5, 1, true)
		for i, v := range got {
			want := sentinel
			if i%stride < n {
				want = max(float32(0.5*src[i])+1, 0)
				if math.IsNaN(float64(src[i])) {
					want = src[i]
				}
			}
			if !sameFloat(v, want) {
				t.Fatalf("n=%d: [%d] = %v, want %v", n, i, v, want)
			}
		}
	}
}

// zeroOutside is ZeroOutside's rule for one element: dy where lo < ref < hi.
func zeroOutside(lo, hi float32) func(dy, ref float32) float32 {
	return func(dy, ref float32) float32 {
		if ref > lo && ref < hi {
			return dy
		}
		return 0
	}
}

// TestMasks holds MaskInRange and ZeroUnmasked (assembly on amd64) to
// their definitions at lengths across whole and partial 64-bit words.
func TestMasks(t *testing.T) {
	for n := range 200 {
		x := randSpecials(n, uint64(300+n))
		for _, r := range [][2]float32{{0, math.MaxFloat32}, {-2, 6}} {
			mask := make([]uint64, (n+63)/64+1)
			for i := range mask {
				mask[i] = ^uint64(0) // every bit must be written
			}
			MaskInRange(mask, x, r[0], r[1])
			for i, v := range x {
				if got, want := mask[i/64]>>(i%64)&1 == 1, v > r[0] && v < r[1]; got != want {
					t.Fatalf("MaskInRange n=%d range %v: bit %d (x=%v) = %v, want %v", n, r, i, v, got, want)
				}
			}
			if n%64 != 0 && mask[n/64]>>(n%64) != 0 {
				t.Fatalf("MaskInRange n=%d: bits past the end set", n)
			}
			dy := randSpecials(n, uint64(700+n))
			got := append([]float32(nil), dy...)
			ZeroUnmasked(got, mask)
			for i, v := range dy {
				want := v
				if mask[i/64]>>(i%64)&1 == 0 {
					want = 0
				}
				if !sameFloat(got[i], want) {
					t.Fatalf("ZeroUnmasked n=%d: [%d] = %v, want %v", n, i, got[i], want)
				}
			}
		}
	}
}
