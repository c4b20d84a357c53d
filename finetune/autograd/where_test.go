package autograd

import (
	"math/rand/v2"
	"testing"
)

func whereCases() []opCase {
	cond := []bool{true, false, false, true, true}
	where := func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Where(cond, []int{5}, in[0], in[1]) }
	return []opCase{{name: "Where", f: where, eps: 1e-2, tol: 2e-3, codeTol: -1, saved: noneSaved,
		inputs: func(r *rand.Rand, big bool) []*Tensor {
			if big {
				return []*Tensor{randTensor(r, -1, 1, 8, 64, 64, 5), randTensor(r, -1, 1, 64, 1, 1)}
			}
			return []*Tensor{randTensor(r, -1, 1, 2, 3, 5), randTensor(r, -1, 1, 3, 1)}
		}}}
}

func TestWhereGrad(t *testing.T) { checkOps(t, whereCases()) }
