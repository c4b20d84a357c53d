package kernels

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// poolSizes sweeps small planes, windows, strides and pads, with the
// output sizes of floor and ceil mode (a ceil window that would start in
// the trailing padding is dropped, as ONNX does).
func poolSizes(f func(p PoolParams)) {
	for h := 1; h <= 9; h += 2 {
		for _, w := range []int{1, 4, 7, 10, 41} { // 41: whole 16-lane vectors
			for k := 1; k <= 4; k++ {
				for s := 1; s <= 3; s++ {
					for pad := 0; pad < k; pad++ {
						for _, ceil := range []bool{false, true} {
							out := func(in int) int {
								span := in + 2*pad - k
								if span < 0 {
									return 0
								}
								if !ceil {
									return span/s + 1
								}
								o := (span+s-1)/s + 1
								if (o-1)*s >= in+pad {
									o--
								}
								return o
							}
							if oh, ow := out(h), out(w); oh > 0 && ow > 0 {
								f(PoolParams{Planes: 3, H: h, W: w, KH: k, KW: k, StrideH: s, StrideW: s,
									PadTop: pad, PadLeft: pad, OutH: oh, OutW: ow})
							}
						}
					}
				}
			}
		}
	}
}

// poolInput has ties (values on a coarse grid), NaNs and −Infs.
func poolInput(n int, seed uint64) []float32 {
	r := newRand(seed)
	x := make([]float32, n)
	for i := range x {
		switch v := r.IntN(20); {
		case v == 0:
			x[i] = float32(math.NaN())
		case v == 1:
			x[i] = float32(math.Inf(-1))
		default:
			x[i] = float32(r.IntN(5)) - 2
		}
	}
	return x
}

func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(u, v float32) bool { return math.Float32bits(u) == math.Float32bits(v) })
}

func TestMaxPoolArg(t *testing.T) {
	poolSizes(func(p PoolParams) {
		name := fmt.Sprintf("%+v", p)
		x := poolInput(p.Planes*p.H*p.W, uint64(p.H*1000+p.W*100+p.KH*10+p.StrideH))
		n := p.Planes * p.OutH * p.OutW
		want, warg := make([]float32, n), make([]uint8, n)
		MaxPoolArgRef(p, x, want, warg)
		y, arg, arg32 := newGuarded(n), make([]uint8, n), make([]int32, n)
		MaxPoolArg(p, x, y.data(), arg)
		y.check(t, name)
		if !sameBits(y.data(), want) || !slices.Equal(arg, warg) {
			t.Fatalf("%s: fast max pooling differs from the reference", name)
		}
		MaxPoolArg(p, x, y.data(), arg32)
		for i, a := range arg32 {
			if int(a) != int(warg[i]) {
				t.Fatalf("%s: int32 arg %d = %d, want %d", name, i, a, warg[i])
			}
		}
		for i, a := range warg { // the reference picks an inside tap
			ky, kx := int(a)/p.KW, int(a)%p.KW
			o := i % (p.OutH * p.OutW)
			iy, ix := o/p.OutW*p.StrideH-p.PadTop+ky, o%p.OutW*p.StrideW-p.PadLeft+kx
			if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
				t.Fatalf("%s: output %d takes tap (%d, %d) outside the input", name, i, ky, kx)
			}
		}
		dy := randSlice(newRand(7), n)
		for _, add := range []bool{true, false} {
			dxWant, dx := poolInput(p.Planes*p.H*p.W, 9), poolInput(p.Planes*p.H*p.W, 9)
			MaxPoolBackwardRef(p, dy, warg, dxWant, add)
			MaxPoolBackward(p, dy, arg32, dx, add)
			if !sameBits(dx, dxWant) {
				t.Fatalf("%s (add %v): fast max pooling backward differs from the reference", name, add)
			}
		}
	})
}

func BenchmarkMaxPool(b *testing.B) {
	// ResNet's stem pooling at batch 32: 3×3/2, pad 1, 64×112×112 → 56×56.
	p := PoolParams{Planes: 32 * 64, H: 112, W: 112, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, OutH: 56, OutW: 56}
	x := randSlice(newRand(1), p.Planes*p.H*p.W)
	y, arg := make([]float32, p.Planes*p.OutH*p.OutW), make([]uint8, p.Planes*p.OutH*p.OutW)
	dx := make([]float32, len(x))
	taps := float64(len(y) * p.KH * p.KW)
	b.Run("forward", func(b *testing.B) {
		benchFlops(b, taps, "Gtap/s", func() { MaxPoolArg(p, x, y, arg) })
	})
	b.Run("backward", func(b *testing.B) {
		benchFlops(b, float64(len(y)), "Gout/s", func() { MaxPoolBackward(p, y, arg, dx, false) })
	})
}

// TestAvgPool holds AvgPool and AvgPoolBackward to their references bit
// for bit (windows inside the input take the tap table), with and without
// the pads in the divisor, over the pooling sweep.
func TestAvgPool(t *testing.T) {
	poolSizes(func(p PoolParams) {
		x := randSlice(newRand(uint64(p.H*100+p.W*10+p.KH)), p.Planes*p.H*p.W)
		n := p.Planes * p.OutH * p.OutW
		dy := randSlice(newRand(5), n)
		for _, incl := range []bool{false, true} {
			name := fmt.Sprintf("%+v include pad %v", p, incl)
			padB, padR := p.PadTop+1, p.PadLeft // the far pads may differ from the near ones
			want, y := make([]float32, n), newGuarded(n)
			AvgPoolRef(p, incl, padB, padR, x, want)
			AvgPool(p, incl, padB, padR, x, y.data())
			y.check(t, name)
			if !sameBits(y.data(), want) {
				t.Fatalf("%s: fast average pooling differs from the reference", name)
			}
			dxWant, dx := randSlice(newRand(6), len(x)), randSlice(newRand(6), len(x))
			AvgPoolBackwardRef(p, incl, padB, padR, dy, dxWant)
			AvgPoolBackward(p, incl, padB, padR, dy, dx)
			if !sameBits(dx, dxWant) {
				t.Fatalf("%s: fast average pooling backward differs from the reference", name)
			}
		}
	})
}
