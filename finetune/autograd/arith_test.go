package autograd

import (
	"math/rand/v2"
	"testing"
)

func TestAddMulGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	shapes := [][2][]int{
		{{2, 3, 4}, {2, 3, 4}},
		{{2, 3, 4}, {3, 1}},
		{{1, 3, 1}, {2, 1, 4}},
		{{2, 3}, {}},
	}
	for _, s := range shapes {
		ins := []*Tensor{randTensor(r, -1, 1, s[0]...), randTensor(r, -1, 1, s[1]...)}
		checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Add(in[0], in[1]) }, ins, 1e-2, 2e-3)
		checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Mul(in[0], in[1]) }, ins, 1e-2, 2e-3)
		checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Sum(in[0], in[1], in[0]) }, ins, 1e-2, 2e-3)
	}
	if _, err := (*Tape)(nil).Add(Zeros(2, 3), Zeros(4)); err == nil {
		t.Fatal("want an error for shapes that do not broadcast")
	}
}
