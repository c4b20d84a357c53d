package autograd

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// shapeIn generates one tensor of shape (or of big when asked).
func shapeIn(shape, big []int) func(r *rand.Rand, b bool) []*Tensor {
	return func(r *rand.Rand, b bool) []*Tensor {
		if b {
			return []*Tensor{randTensor(r, -1, 1, big...)}
		}
		return []*Tensor{randTensor(r, -1, 1, shape...)}
	}
}

func sliceCases() []opCase {
	slice := func(starts, ends, axes, steps []int64) forwardFn {
		return func(tp *Tape, in []*Tensor) (*Tensor, error) {
			s, st, n, err := SliceDims(in[0].Shape, starts, ends, axes, steps)
			if err != nil {
				return nil, err
			}
			return tp.Slice(in[0], s, st, n)
		}
	}
	c := func(name string, f forwardFn) opCase {
		return opCase{name: name, f: f, inputs: shapeIn([]int{2, 4, 6, 6}, []int{8, 16, 48, 48}), eps: 1e-2, tol: 2e-3, codeTol: -1, saved: noneSaved}
	}
	split := func(tp *Tape, in []*Tensor) (*Tensor, error) {
		parts, err := tp.Split(in[0], 1, []int{1, 2, in[0].Shape[1] - 3})
		if err != nil {
			return nil, err
		}
		// Weight the parts differently so that each one's gradient shows.
		a, err := tp.Mul(parts[0], New([]int{}, []float32{2}))
		if err != nil {
			return nil, err
		}
		return tp.Concat(1, parts[2], a, parts[1])
	}
	return []opCase{
		// The option-A shortcut: x[:, :, ::2, ::2].
		c("SliceOptionA", slice([]int64{0, 0}, []int64{1 << 62, 1 << 62}, []int64{2, 3}, []int64{2, 2})),
		c("SliceNegativeStep", slice([]int64{-1, 4}, []int64{-1 << 62, 1}, []int64{-1, 1}, []int64{-2, -1})),
		c("SliceDefaultAxes", slice([]int64{1, 1}, []int64{2, 3}, nil, nil)),
		c("Split", split),
	}
}

func TestSliceGrad(t *testing.T) { checkOps(t, sliceCases()) }

// TestSliceDims holds the resolution of starts/ends/steps to ONNX's rules
// (the cases of ONNX's Slice documentation and backend tests).
func TestSliceDims(t *testing.T) {
	for _, c := range []struct {
		shape                     []int
		starts, ends, axes, steps []int64
		start, step, count        []int
	}{
		{[]int{2, 4}, []int64{1, 0}, []int64{2, 3}, []int64{0, 1}, []int64{1, 2}, []int{1, 0}, []int{1, 2}, []int{1, 2}},
		{[]int{2, 4}, []int64{0, 1}, []int64{-1, 1000}, nil, nil, []int{0, 1}, []int{1, 1}, []int{1, 3}},
		{[]int{2, 4}, []int64{1, -1}, []int64{0, -1000}, []int64{0, 1}, []int64{-1, -1}, []int{1, 3}, []int{-1, -1}, []int{1, 4}},
		{[]int{20, 10, 5}, []int64{1000}, []int64{1000}, []int64{1}, []int64{1}, []int{0, 10, 0}, []int{1, 1, 1}, []int{20, 0, 5}},
		{[]int{20, 10, 5}, []int64{20, 10, 4}, []int64{0, 0, 1}, []int64{0, 1, 2}, []int64{-1, -3, -2}, []int{19, 9, 4}, []int{-1, -3, -2}, []int{19, 3, 2}},
	} {
		s, st, n, err := SliceDims(c.shape, c.starts, c.ends, c.axes, c.steps)
		must(t, err)
		if !slices.Equal(s, c.start) || !slices.Equal(st, c.step) || !slices.Equal(n, c.count) {
			t.Errorf("%v %v %v %v %v: start %v step %v count %v, want %v %v %v", c.shape, c.starts, c.ends, c.axes, c.steps, s, st, n, c.start, c.step, c.count)
		}
	}
	for _, bad := range [][4][]int64{{{0}, {1}, {2}, nil}, {{0}, {1}, nil, {0}}, {{0, 0}, {1, 1}, {1, -1}, nil}, {{0}, {1, 2}, nil, nil}} {
		if _, _, _, err := SliceDims([]int{2, 3}, bad[0], bad[1], bad[2], bad[3]); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}

// TestSliceValues: the option-A shortcut's x[:, :, ::2, ::2] and a
// reversed slice pick the right elements; Split's parts tile the input.
func TestSliceValues(t *testing.T) {
	x := Zeros(1, 2, 4, 4)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	s, st, n, err := SliceDims(x.Shape, []int64{0, 0}, []int64{1 << 62, 1 << 62}, []int64{2, 3}, []int64{2, 2})
	must(t, err)
	y, err := (*Tape)(nil).Slice(x, s, st, n)
	must(t, err)
	if want := []float32{0, 2, 8, 10, 16, 18, 24, 26}; !slices.Equal(y.Shape, []int{1, 2, 2, 2}) || !slices.Equal(y.Data, want) {
		t.Fatalf("x[:, :, ::2, ::2] = %v %v, want %v", y.Shape, y.Data, want)
	}
	s, st, n, err = SliceDims(x.Shape, []int64{-1}, []int64{-1 << 62}, []int64{3}, []int64{-3})
	must(t, err)
	y, err = (*Tape)(nil).Slice(x, s, st, n)
	must(t, err)
	if y.Data[0] != 3 || y.Data[1] != 0 || len(y.Data) != 16 {
		t.Fatalf("x[..., ::-3] starts %v, want 3 0", y.Data[:2])
	}
	parts, err := (*Tape)(nil).Split(x, 2, []int{1, 3})
	must(t, err)
	if parts[0].Data[4] != 16 || parts[1].Data[0] != 4 || len(parts[1].Data) != 24 {
		t.Fatalf("split: %v / %v", parts[0].Data, parts[1].Data)
	}
}
