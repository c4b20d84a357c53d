package infer_test

import (
	"errors"
	"testing"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/dataset/datasettest"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// hugePadModels are the tiny models whose shapes explode: a Conv
// padded by 12,496 on an 8×8 input (a 751-byte .bnn made one run allocate
// 14.7 GB) and a Pad by 21,000 per side (7 GB).
func hugePadModels() map[string]*ir.Model {
	conv := newBuilder(13, 1)
	x := conv.input("x", 1, 8, 8)
	conv.output(conv.node("Conv", []string{x, conv.random([]int{1, 1, 3, 3}, -1, 1)},
		ints("kernel_shape", 3, 3), ints("pads", 12496, 12496, 12496, 12496)))
	pad := newBuilder(13, 1)
	x = pad.input("x", 1, 8, 8)
	pads := pad.init(&ir.Tensor{DType: ir.Int64, Shape: []int{8}, Data: []int64{0, 0, 21000, 21000, 0, 0, 21000, 21000}})
	pad.output(pad.node("Pad", []string{x, pads}))
	return map[string]*ir.Model{"Conv": conv.m, "Pad": pad.m}
}

// TestElementLimit: both models fail with ErrTooLarge naming the node, in
// CheckShapes and in Run, having allocated next to nothing.
func TestElementLimit(t *testing.T) {
	for op, m := range hugePadModels() {
		prog, err := infer.Compile(m)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		var checkErr, runErr error
		bytes := datasettest.Allocated(func() {
			_, checkErr = prog.CheckShapes(1)
			_, runErr = prog.Run(feed(map[string][]int{"x": {1, 1, 8, 8}}))
		})
		for what, err := range map[string]error{"CheckShapes": checkErr, "Run": runErr} {
			if !errors.Is(err, infer.ErrTooLarge) {
				t.Errorf("%s: %s = %v, want ErrTooLarge", op, what, err)
				continue
			}
			wantOneLine(t, err, op+"_", "more than the limit")
		}
		if bytes > 64<<20 {
			t.Errorf("%s: refusing the model allocated %d MB", op, bytes>>20)
		}
	}
}

// TestMaxElementsOption: the limit is the option's when given; a model that
// fits the default fails under a smaller limit and passes under the default.
func TestMaxElementsOption(t *testing.T) {
	b := newBuilder(13, 1)
	x := b.input("x", 2, 8, 8)
	b.output(b.node("Relu", []string{x}))
	in := feed(map[string][]int{"x": {4, 2, 8, 8}}) // 512 elements
	for _, c := range []struct {
		limit int
		ok    bool
	}{{0, true}, {512, true}, {511, false}} {
		prog, err := infer.CompileWith(b.m, infer.Options{MaxElements: c.limit})
		if err != nil {
			t.Fatal(err)
		}
		_, err = prog.Run(in)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, infer.ErrTooLarge)) {
			t.Errorf("limit %d: Run = %v, want ok=%v", c.limit, err, c.ok)
		}
		if _, err := prog.CheckShapes(4); (err == nil) != c.ok {
			t.Errorf("limit %d: CheckShapes(4) = %v, want ok=%v", c.limit, err, c.ok)
		}
	}
}

// TestBatchWithin: the batch BatchWithin picks is the largest that the
// element limit (the executor's own check, by shape and by a real run)
// admits for the same number of elements.
func TestBatchWithin(t *testing.T) {
	const elements = 1 << 20
	for _, name := range []string{"resnet18_w8_op11", "resnet20_cifar_op17"} {
		m, err := onnx.ReadFile("../testdata/models/" + name + ".onnx")
		if err != nil {
			t.Fatal(err)
		}
		prog, err := infer.CompileWith(m, infer.Options{MaxElements: elements})
		if err != nil {
			t.Fatal(err)
		}
		b := prog.BatchWithin(elements, 1000)
		if _, err := prog.CheckShapes(b); err != nil {
			t.Errorf("%s: batch %d: %v", name, b, err)
		}
		if _, err := prog.CheckShapes(b + 1); !errors.Is(err, infer.ErrTooLarge) {
			t.Errorf("%s: batch %d+1 = %v, want ErrTooLarge", name, b, err)
		}
		in := m.Graph.Inputs[0]
		shape := []int{b}
		for _, d := range in.Shape[1:] {
			shape = append(shape, int(d.Size))
		}
		if _, err := prog.Run(feed(map[string][]int{in.Name: shape})); err != nil {
			t.Errorf("%s: run at batch %d: %v", name, b, err)
		}
		if got := prog.BatchWithin(elements, 2); got != min(2, b) {
			t.Errorf("%s: BatchWithin(%d, 2) = %d", name, elements, got)
		}
		if got := prog.BatchWithin(1, 1000); got != 1 {
			t.Errorf("%s: BatchWithin(1, 1000) = %d, want 1", name, got)
		}
	}
}
