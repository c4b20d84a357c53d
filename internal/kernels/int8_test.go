package kernels

import (
	"fmt"
	"math"
	"testing"
)

// TestBinaryConv2DInt8Sweep holds the int8 path to its reference bit for
// bit (the integer sums are exact and the epilogue is the same function).
func TestBinaryConv2DInt8Sweep(t *testing.T) {
	for i, p := range convSweep() {
		r := newRand(uint64(400 + i))
		taps := p.C / p.Groups * p.KH * p.KW
		x, scale, bias := randSlice(r, p.XLen()), randSlice(r, p.K), randSlice(r, p.K)
		wb := randBits(r, p.K, taps)
		for _, b := range [][]float32{bias, nil} {
			y, want := newGuarded(p.YLen()), make([]float32, p.YLen())
			BinaryConv2DInt8(p, x, wb, scale, b, y.data())
			BinaryConv2DInt8Ref(p, x, wb, scale, b, want)
			y.check(t, "BinaryConv2DInt8")
			for j := range want {
				if math.Float32bits(y.data()[j]) != math.Float32bits(want[j]) {
					t.Fatalf("case %d %+v: y[%d] = %v, want %v", i, p, j, y.data()[j], want[j])
				}
			}
		}
	}
}

// TestBinaryConv2DInt8Accuracy bounds the quantization error against the
// float binary convolution: each term is off by at most actScale/2.
func TestBinaryConv2DInt8Accuracy(t *testing.T) {
	for i, p := range convSweep() {
		r := newRand(uint64(450 + i))
		taps := p.C / p.Groups * p.KH * p.KW
		x, scale := randSlice(r, p.XLen()), randSlice(r, p.K)
		wb := randBits(r, p.K, taps)
		got, want := make([]float32, p.YLen()), make([]float32, p.YLen())
		BinaryConv2DInt8(p, x, wb, scale, nil, got)
		BinaryConv2DRef(p, x, wb, scale, nil, want)
		act, _, _ := quantScale(x)
		for j := range want {
			k := j / (p.OutH() * p.OutW()) % p.K
			bound := float64(abs32(scale[k])) * float64(act) * (0.5*float64(taps) + 1e-3)
			if d := math.Abs(float64(got[j] - want[j])); d > bound {
				t.Fatalf("case %d: y[%d] = %v, float %v, error %g > %g", i, j, got[j], want[j], d, bound)
			}
		}
	}
}

// TestInt8Kernels holds each assembly int8 kernel to its Go twin exactly,
// with weight bytes in {−1, 0, 1} as the convolution packs them.
func TestInt8Kernels(t *testing.T) {
	r := newRand(5)
	for _, kern := range asmInt8Kernels() {
		for _, steps := range []int{1, 2, 7, 144} {
			for _, acc := range []bool{false, true} {
				a := make([]uint32, kern.mr*steps)
				for i := range a {
					for q := range 4 {
						a[i] |= uint32([]byte{0, 1, 0xFF}[r.IntN(3)]) << (8 * q)
					}
				}
				b := make([]uint32, 3*steps+kern.nr+5)
				for i := range b {
					b[i] = r.Uint32()
				}
				offs := make([]int, steps)
				for i := range offs {
					offs[i] = r.IntN(3*steps + 5)
				}
				ldc := kern.nr + 3
				c := make([]int32, kern.mr*ldc)
				for i := range c {
					c[i] = r.Int32N(1000) - 500
				}
				want := append([]int32(nil), c...)
				kern.fn(steps, a, b, offs, c, ldc, acc)
				kernelInt8Go(kern.mr, kern.nr, steps, a, b, offs, want, ldc, acc)
				for i := range want {
					if c[i] != want[i] {
						t.Fatalf("%s steps=%d acc=%v: c[%d] = %d, want %d", kern.name, steps, acc, i, c[i], want[i])
					}
				}
			}
		}
	}
}

func BenchmarkBinaryConv2DInt8(b *testing.B) {
	for _, p := range resnet20Convs(32) {
		r := newRand(1)
		taps := p.C / p.Groups * p.KH * p.KW
		x, scale, y := randSlice(r, p.XLen()), randSlice(r, p.K), make([]float32, p.YLen())
		wb := randBits(r, p.K, taps)
		b.Run(fmt.Sprintf("C%dH%dK%dS%d", p.C, p.H, p.K, p.StrideH), func(b *testing.B) {
			benchFlops(b, p.flops(), "GOP/s", func() { BinaryConv2DInt8(p, x, wb, scale, nil, y) })
		})
	}
}

// TestQuantHelpers holds the vector helpers of the int8 path to their Go
// loops at every length across the vector widths.
func TestQuantHelpers(t *testing.T) {
	r := newRand(8)
	for n := range 150 {
		x := randSlice(r, 4*n)
		for i := range x {
			x[i] *= 3
		}
		want := float32(0)
		for _, v := range x {
			want = max(want, abs32(v))
		}
		if got := math.Float32frombits(maxAbsBits(x)); got != want {
			t.Fatalf("maxAbsBits n=%d: %v, want %v", 4*n, got, want)
		}
		for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(-1))} {
			if n == 0 {
				break
			}
			y := append([]float32(nil), x...)
			y[(n*7)%len(y)] = bad
			if _, _, finite := quantScale(y); finite {
				t.Fatalf("quantScale n=%d: %v not seen", 4*n, bad)
			}
		}
		inv := float32(127) / want
		dst := make([]uint32, n)
		quantRows4(x[:n], x[n:2*n], x[2*n:3*n], x[3*n:], inv, dst)
		for i, w := range dst {
			for c := range 4 {
				if q := int32(w>>(8*c)&0xFF) - 128; q != quantize(x[c*n+i], inv) {
					t.Fatalf("quantRows4 n=%d: channel %d position %d = %d, want %d", n, c, i, q, quantize(x[c*n+i], inv))
				}
			}
		}
		src := make([]int32, n)
		for i := range src {
			src[i] = r.Int32N(200000) - 100000
		}
		out := make([]float32, n)
		dequantRow(src, 77, 0.013, -0.5, out)
		for i, v := range out {
			if w := dequant(0.013, float32(src[i]-77), -0.5); math.Float32bits(v) != math.Float32bits(w) {
				t.Fatalf("dequantRow n=%d: [%d] = %v, want %v", n, i, v, w)
			}
		}
	}
}

// TestQuantScaleParallel checks the split max on a tensor large enough to
// be split: the same scale as one pass, and a NaN anywhere is seen.
func TestQuantScaleParallel(t *testing.T) {
	r := newRand(9)
	x := randSlice(r, 1<<20+5)
	x[1<<20+3] = 9.5
	if s, _, finite := quantScale(x); !finite || s != 9.5/127 {
		t.Fatalf("scale %v finite %v, want %v true", s, finite, 9.5/127)
	}
	x[r.IntN(len(x))] = float32(math.NaN())
	if _, _, finite := quantScale(x); finite {
		t.Fatal("NaN not seen")
	}
}
