package autograd

import "testing"

// floatSaved: a float reference to the input on both tapes.
func floatSaved(in []*Tensor) (int64, int64) { return floatBytes(in[0]), floatBytes(in[0]) }

func floatCase(name string, f func(tp *Tape, x *Tensor) *Tensor, lo, hi float32) opCase {
	c := unaryCase(name, f, lo, hi, -1)
	c.saved = floatSaved
	return c
}

func powerCases() []opCase {
	return []opCase{
		unaryCase("Pow3", func(tp *Tape, x *Tensor) *Tensor { return tp.Pow(x, 3) }, -1.5, 1.5, 0.1),
		unaryCase("Pow2", func(tp *Tape, x *Tensor) *Tensor { return tp.Pow(x, 2) }, -2, 2, 0.05),
		floatCase("PowHalf", func(tp *Tape, x *Tensor) *Tensor { return tp.Pow(x, 0.5) }, 0.5, 3),
		floatCase("Sqrt", (*Tape).Sqrt, 0.5, 3),
		floatCase("Reciprocal", (*Tape).Reciprocal, 0.5, 2),
		floatCase("Exp", (*Tape).Exp, -2, 2),
		floatCase("Log", (*Tape).Log, 0.5, 3),
	}
}

func TestPowerGrad(t *testing.T) { checkOps(t, powerCases()) }
