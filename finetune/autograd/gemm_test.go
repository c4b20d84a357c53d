package autograd

import (
	"math/rand/v2"
	"testing"
)

func TestGemmGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			a := randTensor(r, -1, 1, pick(ta, 4, 3), pick(ta, 3, 4)) // op(A) 3x4
			b := randTensor(r, -1, 1, pick(tb, 5, 4), pick(tb, 4, 5)) // op(B) 4x5
			for _, c := range []*Tensor{randTensor(r, -1, 1, 5), randTensor(r, -1, 1, 3, 1), randTensor(r, -1, 1, 3, 5)} {
				attrs := GemmAttrs{Alpha: 0.7, Beta: 1.3, TransA: ta, TransB: tb}
				checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) {
					return tp.Gemm(in[0], in[1], in[2], attrs, false)
				}, []*Tensor{a, b, c}, 1e-2, 2e-3)
			}
		}
	}
}

func TestMatMulGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	a, b := randTensor(r, -1, 1, 2, 3, 4), randTensor(r, -1, 1, 4, 2)
	checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) {
		return tp.MatMul(in[0], in[1], false)
	}, []*Tensor{a, b}, 1e-2, 2e-3)
}
