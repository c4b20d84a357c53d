package infer_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

// TestMaxPoolFastPath compares 2-D MaxPool without Indices (the separable
// fast path) with the same node asked for Indices (the window loop) over
// kernels, strides, pads, dilations and ceil mode, on inputs with NaNs.
func TestMaxPoolFastPath(t *testing.T) {
	type pool struct{ k, s, pad, d, ceil int }
	var cases []pool
	for _, k := range []int{1, 2, 3, 5} {
		for _, s := range []int{1, 2, 3} {
			for _, d := range []int{1, 2} {
				for _, ceil := range []int{0, 1} {
					cases = append(cases, pool{k, s, min(k/2, 1), d, ceil})
				}
			}
		}
	}
	for i, c := range cases {
		name := fmt.Sprintf("k%d_s%d_p%d_d%d_ceil%d", c.k, c.s, c.pad, c.d, c.ceil)
		build := func(indices bool) *ir.Model {
			b := newBuilder(12, 1)
			x := b.input("input", 3, 13, 11)
			y := b.node("MaxPool", []string{x}, ints("kernel_shape", int64(c.k), int64(c.k)),
				ints("strides", int64(c.s), int64(c.s)), ints("dilations", int64(c.d), int64(c.d)),
				ints("pads", int64(c.pad), 0, 0, int64(c.pad)), intAttr("ceil_mode", int64(c.ceil)))
			if indices {
				n := b.m.Graph.Nodes[0]
				n.Outputs = append(n.Outputs, "indices")
			}
			b.output(y)
			return b.m
		}
		x := randomInput(uint64(i), 2, 3, 13, 11)
		for j := 0; j < len(x.Data.([]float32)); j += 37 {
			x.Data.([]float32)[j] = float32(math.NaN())
		}
		fast := run1(t, compile(t, build(false)), x)
		loop := run1(t, compile(t, build(true)), x)
		if !equalShape(fast.Shape, loop.Shape) {
			t.Fatalf("%s: shape %v, window loop %v", name, fast.Shape, loop.Shape)
		}
		for j, v := range fast.Data.([]float32) {
			if w := loop.Data.([]float32)[j]; v != w && !(v != v && w != w) {
				t.Fatalf("%s: y[%d] = %v, window loop %v", name, j, v, w)
			}
		}
	}
}

func equalShape(a, b []int) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// BenchmarkMaxPoolStem is the ResNet stem's 3x3 stride-2 MaxPool at batch 32.
func BenchmarkMaxPoolStem(b *testing.B) {
	bl := newBuilder(13, 1)
	x := bl.input("x", 64, 112, 112)
	y := bl.node("MaxPool", []string{x}, ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1))
	bl.output(y)
	p := compile(b, bl.m)
	in := map[string]*ir.Tensor{"x": randomInput(1, 32, 64, 112, 112)}
	for b.Loop() {
		if _, err := p.Run(in); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMaxPoolNaNAnyRank checks that a NaN anywhere in a window makes the
// window's maximum NaN on the N-D path too (1-D here), not only when it is
// the first tap.
func TestMaxPoolNaNAnyRank(t *testing.T) {
	b := newBuilder(12, 1)
	x := b.input("input", 1, 5)
	b.output(b.node("MaxPool", []string{x}, ints("kernel_shape", 3)))
	nan := float32(math.NaN())
	got := run1(t, compile(t, b.m), ir.NewFloat32("input", []int{1, 1, 5}, []float32{1, 5, nan, 2, 3})).Data.([]float32)
	for i, v := range got { // every window of 3 holds element 2
		if v == v {
			t.Fatalf("window %d: max %v, want NaN", i, v)
		}
	}
}
