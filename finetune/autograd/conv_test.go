package autograd

import (
	"math/rand/v2"
	"testing"
)

func TestConvGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name string
		a    ConvAttrs
		x, w []int
		bias bool
	}{
		{"3x3 pad1", ConvAttrs{PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}, []int{2, 3, 5, 5}, []int{4, 3, 3, 3}, true},
		{"stride2 asym", ConvAttrs{StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 0, PadBottom: 0, PadRight: 1}, []int{2, 2, 6, 5}, []int{3, 2, 3, 3}, false},
		{"1x1 groups", ConvAttrs{Group: 2}, []int{1, 4, 3, 3}, []int{2, 2, 1, 1}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ins := []*Tensor{randTensor(r, -1, 1, c.x...), randTensor(r, -1, 1, c.w...)}
			if c.bias {
				ins = append(ins, randTensor(r, -1, 1, c.w[0]))
			}
			checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) {
				var b *Tensor
				if len(in) == 3 {
					b = in[2]
				}
				return tp.Conv(in[0], in[1], b, c.a, false)
			}, ins, 1e-2, 2e-3)
		})
	}
}

func TestConvRejectsMismatch(t *testing.T) {
	x, w := Zeros(1, 3, 4, 4), Zeros(2, 2, 3, 3)
	if _, err := (*Tape)(nil).Conv(x, w, nil, ConvAttrs{}, false); err == nil {
		t.Fatal("want an error for weights that do not match the input channels")
	}
}
