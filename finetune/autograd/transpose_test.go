package autograd

import "testing"

func transposeCases() []opCase {
	tr := func(perm []int) forwardFn {
		return func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Transpose(in[0], perm) }
	}
	return []opCase{
		// NHWC → NCHW, as a tf2onnx export starts.
		{name: "TransposeNHWC", f: tr([]int{0, 3, 1, 2}), inputs: shapeIn([]int{2, 4, 5, 3}, []int{8, 48, 48, 8}), eps: 1e-2, tol: 2e-3, codeTol: -1, saved: noneSaved},
		{name: "TransposeReverse", f: tr(nil), inputs: shapeIn([]int{2, 3, 4}, []int{64, 48, 48}), eps: 1e-2, tol: 2e-3, codeTol: -1, saved: noneSaved},
	}
}

func TestTransposeGrad(t *testing.T) { checkOps(t, transposeCases()) }

func TestTransposeValues(t *testing.T) {
	x := New([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	y, err := (*Tape)(nil).Transpose(x, []int{1, 0})
	must(t, err)
	for i, want := range []float32{1, 4, 2, 5, 3, 6} {
		if y.Data[i] != want {
			t.Fatalf("%v, want [1 4 2 5 3 6]", y.Data)
		}
	}
	if _, err := (*Tape)(nil).Transpose(x, []int{0, 0}); err == nil {
		t.Fatal("want an error for a perm that repeats an axis")
	}
}
