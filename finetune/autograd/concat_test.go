package autograd

import (
	"math/rand/v2"
	"testing"
)

func concatCases() []opCase {
	return []opCase{
		{name: "Concat", f: func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Concat(1, in[0], in[1], in[0]) },
			inputs: func(r *rand.Rand, big bool) []*Tensor {
				if big {
					return []*Tensor{randTensor(r, -1, 1, 4, 8, 32, 32), randTensor(r, -1, 1, 4, 3, 32, 32)}
				}
				return []*Tensor{randTensor(r, -1, 1, 2, 2, 3, 3), randTensor(r, -1, 1, 2, 3, 3, 3)}
			}, eps: 1e-2, tol: 2e-3, codeTol: -1, saved: noneSaved},
		// The zero-channel shortcut: x joined with constant zeros.
		{name: "ConcatZeros", f: func(tp *Tape, in []*Tensor) (*Tensor, error) {
			z := Zeros(in[0].Shape...)
			return tp.Concat(1, in[0], z)
		}, inputs: shapeIn([]int{2, 3, 4, 4}, []int{8, 16, 32, 32}), eps: 1e-2, tol: 2e-3, codeTol: -1, saved: noneSaved},
		{name: "ConcatLast", f: func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Concat(2, in[0], in[0]) },
			inputs: shapeIn([]int{2, 3, 4}, []int{16, 64, 64}), eps: 1e-2, tol: 2e-3, codeTol: -1, saved: noneSaved},
	}
}

func TestConcatGrad(t *testing.T) { checkOps(t, concatCases()) }
