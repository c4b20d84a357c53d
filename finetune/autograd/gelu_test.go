package autograd

import "testing"

func geluCases() []opCase {
	return []opCase{
		unaryCase("Gelu", func(tp *Tape, x *Tensor) *Tensor { return tp.Gelu(x, false) }, -4, 4, 0.03),
		unaryCase("GeluTanh", func(tp *Tape, x *Tensor) *Tensor { return tp.Gelu(x, true) }, -4, 4, 0.03),
	}
}

func TestGeluGrad(t *testing.T) { checkOps(t, geluCases()) }

// TestGeluTanhClose: the tanh form stays within 1e-3 of the exact one
// (its published accuracy), values and derivatives, so the two are not
// swapped or mistyped.
func TestGeluTanhClose(t *testing.T) {
	for x := float32(-6); x <= 6; x += 0.01 {
		if d := gelu(x) - geluTanh(x); d > 1e-3 || d < -1e-3 {
			t.Fatalf("gelu(%v): exact %v, tanh form %v", x, gelu(x), geluTanh(x))
		}
		if d := dGelu(x) - dGeluTanh(x); d > 5e-3 || d < -5e-3 {
			t.Fatalf("gelu'(%v): exact %v, tanh form %v", x, dGelu(x), dGeluTanh(x))
		}
	}
}
