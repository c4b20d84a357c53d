package autograd

import "testing"

func hardSigmoidCases() []opCase {
	hs := unaryCase("HardSigmoid", func(tp *Tape, x *Tensor) *Tensor { return tp.HardSigmoid(x, 1.0/6, 0.5) }, -5, 5, -1, -3, 3)
	hs.saved = func(in []*Tensor) (int64, int64) { return floatBytes(in[0]), maskBytes(len(in[0].Data)) }
	// ONNX's default α = 0.2, β = 0.5: kinks at −2.5 and 2.5.
	def := unaryCase("HardSigmoidDefault", func(tp *Tape, x *Tensor) *Tensor { return tp.HardSigmoid(x, 0.2, 0.5) }, -4, 4, -1, -2.5, 2.5)
	def.saved = hs.saved
	return []opCase{hs, def,
		unaryCase("HardSwish", (*Tape).HardSwish, -5, 5, 0.04, -3, 3)}
}

func TestHardSigmoidGrad(t *testing.T) { checkOps(t, hardSigmoidCases()) }

// TestHardSwishKinks: PyTorch's derivative at the kinks (x/3 + 1/2 at both
// −3 and 3) and the values ONNX defines there.
func TestHardSwishKinks(t *testing.T) {
	for _, c := range []struct{ x, y, d float32 }{{-3, 0, -0.5}, {3, 3, 1.5}, {-3.5, 0, 0}, {3.5, 3.5, 1}, {0, 0, 0.5}} {
		if hardSwish(c.x) != c.y || dHardSwish(c.x) != c.d {
			t.Errorf("x = %v: value %v derivative %v, want %v and %v", c.x, hardSwish(c.x), dHardSwish(c.x), c.y, c.d)
		}
	}
}
