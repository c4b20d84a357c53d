package autograd

import "testing"

// smoothSaved: a float reference to the input on an exact tape,
// SmoothBits-bit codes on a compressing one.
func smoothSaved(in []*Tensor) (int64, int64) {
	return floatBytes(in[0]), codeBytes(in[0].Shape, SmoothBits)
}

func unaryCase(name string, f func(tp *Tape, x *Tensor) *Tensor, lo, hi float32, codeTol float64, kinks ...float32) opCase {
	return opCase{name: name, f: func(tp *Tape, in []*Tensor) (*Tensor, error) { return f(tp, in[0]), nil },
		inputs: unaryIn(lo, hi, 0.05, kinks...), eps: 1e-2, tol: 2e-3, codeTol: codeTol, saved: smoothSaved}
}

func sigmoidCases() []opCase {
	return []opCase{
		unaryCase("Sigmoid", (*Tape).Sigmoid, -4, 4, 0.01),
		unaryCase("Silu", (*Tape).Silu, -4, 4, 0.02),
	}
}

func TestSigmoidGrad(t *testing.T) { checkOps(t, sigmoidCases()) }
