package autograd

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/bincompress/bincompress/ir/schema"
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
			s, st, n, err := sliceDims(in[0].Shape, starts, ends, axes, steps)
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

// TestSliceValues: the option-A shortcut's x[:, :, ::2, ::2] and a
// reversed slice pick the right elements; Split's parts tile the input.
func TestSliceValues(t *testing.T) {
	x := Zeros(1, 2, 4, 4)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	s, st, n, err := sliceDims(x.Shape, []int64{0, 0}, []int64{1 << 62, 1 << 62}, []int64{2, 3}, []int64{2, 2})
	must(t, err)
	y, err := (*Tape)(nil).Slice(x, s, st, n)
	must(t, err)
	if want := []float32{0, 2, 8, 10, 16, 18, 24, 26}; !slices.Equal(y.Shape, []int{1, 2, 2, 2}) || !slices.Equal(y.Data, want) {
		t.Fatalf("x[:, :, ::2, ::2] = %v %v, want %v", y.Shape, y.Data, want)
	}
	s, st, n, err = sliceDims(x.Shape, []int64{-1}, []int64{-1 << 62}, []int64{3}, []int64{-3})
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

// sliceDims resolves ONNX Slice arguments with the op layer.
func sliceDims(shape []int, starts, ends, axes, steps []int64) (start, step, count []int, err error) {
	sl, _, err := schema.Slices(schema.Dims(shape), starts, ends, axes, steps)
	for _, a := range sl {
		start, step, count = append(start, a.Start), append(step, a.Step), append(count, a.Count)
	}
	return start, step, count, err
}
