package autograd

import "testing"

func divCases() []opCase {
	div := func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Div(in[0], in[1]) }
	both := func(in []*Tensor) (int64, int64) { n := floatBytes(in[0]) + floatBytes(in[1]); return n, n }
	return []opCase{
		{name: "Div", f: div, inputs: pairIn(0.5, 2, []int{2, 3, 4}, []int{2, 3, 4}), eps: 1e-3, tol: 2e-3, codeTol: -1, saved: both},
		{name: "DivBroadcast", f: div, inputs: pairIn(0.5, 2, []int{2, 3, 4, 5}, []int{2, 3, 1, 1}), eps: 1e-3, tol: 2e-3, codeTol: -1, saved: both},
	}
}

func TestDivGrad(t *testing.T) { checkOps(t, divCases()) }

// TestDivByConstant: dividing by a constant keeps only the constant (a
// parameter), no activation.
func TestDivByConstant(t *testing.T) {
	tp := &Tape{}
	x := tp.View(Param([]int{2, 3}, make([]float32, 6)), []int{2, 3})
	_, err := tp.Div(x, New([]int{}, []float32{1.4142135}))
	must(t, err)
	if a, p := tp.SavedBytes(); a != 0 || p != 4 {
		t.Fatalf("saved %d activation and %d parameter bytes, want 0 and 4", a, p)
	}
}
