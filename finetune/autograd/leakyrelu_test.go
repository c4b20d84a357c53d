package autograd

import "testing"

func leakyCases() []opCase {
	c := unaryCase("LeakyRelu", func(tp *Tape, x *Tensor) *Tensor { return tp.LeakyRelu(x, 0.1) }, -2, 2, -1, 0)
	c.saved = func(in []*Tensor) (int64, int64) { return floatBytes(in[0]), maskBytes(len(in[0].Data)) }
	return []opCase{c}
}

func TestLeakyReluGrad(t *testing.T) { checkOps(t, leakyCases()) }
