package autograd

import (
	"math/rand/v2"
	"testing"
)

func mulCases() []opCase {
	mul := func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Mul(in[0], in[1]) }
	se := func(r *rand.Rand, big bool) []*Tensor {
		in := pairIn(-1, 1, []int{2, 3, 4, 5}, []int{2, 3, 1, 1})(r, big)
		return in
	}
	gateFirst := func(r *rand.Rand, big bool) []*Tensor { in := se(r, big); return []*Tensor{in[1], in[0]} }
	return []opCase{
		// The SE case both ways round: the feature map is kept in codes
		// (for the gate's gradient, which is therefore stochastic), the
		// gate as a float.
		{name: "MulSE", f: mul, inputs: se, eps: 1e-2, tol: 2e-3, codeTol: -1, unbiased: []int{1},
			saved: func(in []*Tensor) (int64, int64) {
				return floatBytes(in[0]) + floatBytes(in[1]), codeBytes(in[0].Shape, SmoothBits) + floatBytes(in[1])
			}},
		{name: "MulSEGateFirst", f: mul, inputs: gateFirst, eps: 1e-2, tol: 2e-3, codeTol: -1, unbiased: []int{0},
			saved: func(in []*Tensor) (int64, int64) {
				return floatBytes(in[0]) + floatBytes(in[1]), floatBytes(in[0]) + codeBytes(in[1].Shape, SmoothBits)
			}},
		{name: "MulSame", f: mul, inputs: pairIn(-1, 1, []int{2, 3, 4, 5}, []int{2, 3, 4, 5}), eps: 1e-2, tol: 2e-3, codeTol: 0.01,
			saved: func(in []*Tensor) (int64, int64) {
				return floatBytes(in[0]) + floatBytes(in[1]), 2 * codeBytes(in[0].Shape, SmoothBits)
			}},
	}
}

func TestMulGrad(t *testing.T) { checkOps(t, mulCases()) }

// TestMulSEGateUnbiased: the SE gate's gradient Σ dy·x, from the feature
// map's codes, averages to the exact one.
func TestMulSEGateUnbiased(t *testing.T) {
	ins := pairIn(-1, 1, []int{2, 3, 4, 5}, []int{2, 3, 1, 1})(rand.New(rand.NewPCG(29, 1)), false)
	mul := func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Mul(in[0], in[1]) }
	_, exact := tapeGrads(t, &Tape{}, mul, ins, seedOf)
	checkUnbiased(t, mul, ins, 1, exact[1], 300)
}

// TestMulByConstant: a constant operand is all a Mul keeps (the other
// operand's gradient is not wanted).
func TestMulByConstant(t *testing.T) {
	for _, compress := range []bool{false, true} {
		tp := &Tape{Compress: compress}
		x := tp.View(Param([]int{2, 3}, make([]float32, 6)), []int{2, 3})
		_, err := tp.Mul(x, New([]int{}, []float32{0.5}))
		must(t, err)
		if a, p := tp.SavedBytes(); a != 0 || p != 4 {
			t.Fatalf("compress %v: saved %d activation and %d parameter bytes, want 0 and 4", compress, a, p)
		}
	}
}
