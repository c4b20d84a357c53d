package autograd

import (
	"math/rand/v2"
	"testing"
)

// pairIn generates two operands of shapes a and b (big scales the first
// past the goroutine grain), uniform in [lo, hi).
func pairIn(lo, hi float32, a, b []int) func(r *rand.Rand, big bool) []*Tensor {
	return func(r *rand.Rand, big bool) []*Tensor {
		if big {
			a = []int{4, 8, 48, 48}
			if lenOf(b) > 1 {
				b = []int{4, 8, 1, 1}
			}
		}
		return []*Tensor{randTensor(r, lo, hi, a...), randTensor(r, lo, hi, b...)}
	}
}

func noneSaved([]*Tensor) (int64, int64) { return 0, 0 }

func subCases() []opCase {
	sub := func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Sub(in[0], in[1]) }
	return []opCase{
		{name: "Sub", f: sub, inputs: pairIn(-1, 1, []int{2, 3, 4}, []int{2, 3, 4}), eps: 1e-2, tol: 2e-3, codeTol: -1, saved: noneSaved},
		{name: "SubBroadcast", f: sub, inputs: pairIn(-1, 1, []int{2, 3, 4, 5}, []int{2, 3, 1, 1}), eps: 1e-2, tol: 2e-3, codeTol: -1, saved: noneSaved},
		{name: "SubScalar", f: sub, inputs: pairIn(-1, 1, []int{1}, []int{2, 3, 4, 5}), eps: 1e-2, tol: 2e-3, codeTol: -1, saved: noneSaved},
		{name: "Neg", f: func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Neg(in[0]), nil },
			inputs: unaryIn(-1, 1, 0), eps: 1e-2, tol: 2e-3, codeTol: -1, saved: noneSaved},
	}
}

func TestSubGrad(t *testing.T) { checkOps(t, subCases()) }
