package autograd

import (
	"math/rand/v2"
	"testing"
)

func expandCases() []opCase {
	expand := func(shape []int) forwardFn {
		return func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Expand(in[0], shape) }
	}
	return []opCase{
		{name: "ExpandSE", f: expand([]int{2, 3, 4, 5}), eps: 1e-2, tol: 2e-3, codeTol: -1, saved: noneSaved,
			inputs: func(r *rand.Rand, big bool) []*Tensor {
				if big {
					return []*Tensor{randTensor(r, -1, 1, 2, 3, 1, 1)} // the output is what is big here
				}
				return []*Tensor{randTensor(r, -1, 1, 2, 3, 1, 1)}
			}},
		{name: "ExpandBothWays", f: expand([]int{4, 1, 5}), inputs: shapeIn([]int{3, 1}, []int{3, 1}), eps: 1e-2, tol: 2e-3, codeTol: -1, saved: noneSaved},
	}
}

func TestExpandGrad(t *testing.T) { checkOps(t, expandCases()) }

// TestExpandShape: ONNX's Expand examples ([3, 1] to [2, 1, 6] gives
// [2, 3, 6]).
func TestExpandShape(t *testing.T) {
	y, err := (*Tape)(nil).Expand(New([]int{3, 1}, []float32{1, 2, 3}), []int{2, 1, 6})
	must(t, err)
	if lenOf(y.Shape) != 36 || y.Shape[1] != 3 || y.Data[6] != 2 || y.Data[35] != 3 {
		t.Fatalf("shape %v data %v", y.Shape, y.Data)
	}
}
