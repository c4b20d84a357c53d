package autograd

import "testing"

func eluCases() []opCase {
	return []opCase{
		unaryCase("Elu", func(tp *Tape, x *Tensor) *Tensor { return tp.Elu(x, 0.7) }, -3, 3, 0.03, 0),
		unaryCase("Selu", func(tp *Tape, x *Tensor) *Tensor { return tp.Selu(x, 1.6732632, 1.050701) }, -3, 3, 0.05, 0),
	}
}

func TestEluGrad(t *testing.T) { checkOps(t, eluCases()) }
