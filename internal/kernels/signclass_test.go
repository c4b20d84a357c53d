package kernels

import (
	"fmt"
	"math"
	"testing"
)

// TestClassKernels holds each assembly sign-class tile to classSumGo, bit
// for bit, over list lengths 0, 1, odd and even, with and without acc.
func TestClassKernels(t *testing.T) {
	r := newRand(11)
	for _, kern := range asmClassKernels() {
		for trial := range 60 {
			counts := make([]int32, classLists)
			total := 0
			for l := range counts {
				counts[l] = int32(r.IntN(4 + trial%7))
				if trial%5 == 0 {
					counts[l] = 0
				}
				total += int(counts[l])
			}
			bLen := 300
			list := make([]int32, total)
			for i := range list {
				list[i] = int32(r.IntN(bLen - kern.nr))
			}
			b := randSlice(r, bLen)
			ldc := kern.nr + 5
			for _, acc := range []bool{false, true} {
				c := randSlice(r, classRows*ldc)
				want := append([]float32(nil), c...)
				kern.fn(counts, list, b, c, ldc, acc)
				classSumGo(kern.nr, counts, list, b, want, ldc, acc)
				for i := range want {
					if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s trial %d acc=%v: c[%d] = %v, want %v", kern.name, trial, acc, i, c[i], want[i])
					}
				}
			}
		}
	}
}

// TestBinaryConv2DClassesSweep checks the sign-class convolution against
// BinaryConv2DRef over the convolution sweep, with and without bias and
// with an epilogue, and that the classes reproduce every sign.
func TestBinaryConv2DClassesSweep(t *testing.T) {
	for i, p := range convSweep() {
		r := newRand(uint64(1200 + i))
		taps := p.C / p.Groups * p.KH * p.KW
		x, scale, bias := randSlice(r, p.XLen()), randSlice(r, p.K), randSlice(r, p.K)
		wb := randBits(r, p.K, taps)
		sc := NewSignClasses(p, wb)
		res := randSlice(r, p.YLen())
		for _, b := range [][]float32{bias, nil} {
			for _, ep := range []Epilogue{{}, {Add: res, ReLU: true}} {
				want := make([]float32, p.YLen())
				BinaryConv2DRef(p, x, wb, scale, b, want)
				for j := range want {
					if ep.Add != nil {
						want[j] = max(want[j]+res[j], 0)
					}
				}
				y := newGuarded(p.YLen())
				fillSentinel(y.data())
				BinaryConv2DClasses(p, x, sc, scale, b, y.data(), ep)
				y.check(t, "BinaryConv2DClasses")
				if err := closeTo(y.data(), want, 3e-6*float64(taps+4)); err != nil {
					t.Fatalf("BinaryConv2DClasses %+v: %v", p, err)
				}
			}
		}
	}
}

func BenchmarkBinaryConv2DClasses(b *testing.B) {
	for _, p := range resnet18Convs(32) {
		r := newRand(1)
		taps := p.C / p.Groups * p.KH * p.KW
		x, scale, y := randSlice(r, p.XLen()), randSlice(r, p.K), make([]float32, p.YLen())
		sc := NewSignClasses(p, randBits(r, p.K, taps))
		b.Run(fmt.Sprintf("C%dH%dK%dk%dS%d", p.C, p.H, p.K, p.KH, p.StrideH), func(b *testing.B) {
			benchFlops(b, p.flops(), "GFLOP/s", func() { BinaryConv2DClasses(p, x, sc, scale, nil, y, Epilogue{}) })
		})
	}
}

// TestClassLayoutCopies checks that the sweep reaches both layouts of the
// sign-class kernel: windows in the phase images, and aligned windows in
// shifted copies.
func TestClassLayoutCopies(t *testing.T) {
	seen := map[bool]bool{}
	for _, p := range convSweep() {
		taps := p.C / p.Groups * p.KH * p.KW
		lay := newClassLayout(p, make([]int, taps), make([]int, taps))
		seen[lay.copies > 1] = true
		if lay.copies > 1 {
			for tap, off := range lay.tapOffs {
				if off%16 != 0 {
					t.Fatalf("%+v: tap %d window at %d, not 64-byte aligned", p, tap, off)
				}
			}
		}
	}
	if !seen[true] || !seen[false] {
		t.Fatalf("layouts seen: %v, want both", seen)
	}
}
