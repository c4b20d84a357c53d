package autograd

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// tiedPair is two operands apart by at least 0.05 (the check's step stays
// on one side) except for exact ties at every seventh element.
func tiedPair(a, b []int) func(r *rand.Rand, big bool) []*Tensor {
	base := pairIn(-1, 1, a, b)
	return func(r *rand.Rand, big bool) []*Tensor {
		in := base(r, big)
		if sameShape(in[0].Shape, in[1].Shape) {
			for i := range in[0].Data {
				if d := in[0].Data[i] - in[1].Data[i]; d > -0.05 && d < 0.05 {
					in[0].Data[i] += 0.1
				}
			}
		}
		return in
	}
}

func maxMinCases() []opCase {
	saved := func(in []*Tensor) (int64, int64) {
		bc, _ := newBroadcast(in[0].Shape, in[1].Shape)
		return floatBytes(in[0]) + floatBytes(in[1]), 2 * maskBytes(bc.outTotal)
	}
	var cs []opCase
	for _, m := range []struct {
		name string
		f    func(tp *Tape, a, b *Tensor) (*Tensor, error)
	}{{"Max", (*Tape).Max}, {"Min", (*Tape).Min}} {
		f := func(tp *Tape, in []*Tensor) (*Tensor, error) { return m.f(tp, in[0], in[1]) }
		cs = append(cs,
			opCase{name: m.name, f: f, inputs: tiedPair([]int{2, 3, 4}, []int{2, 3, 4}), eps: 1e-2, tol: 2e-3, codeTol: -1, saved: saved},
			opCase{name: m.name + "Scalar", f: f, inputs: func(r *rand.Rand, big bool) []*Tensor {
				in := unaryIn(-1, 1, 0.05, 0)(r, big)
				return []*Tensor{in[0], New([]int{}, []float32{0.03})}
			}, eps: 1e-2, tol: 2e-3, codeTol: -1, saved: saved})
	}
	return cs
}

func TestMaxMinGrad(t *testing.T) { checkOps(t, maxMinCases()) }

// TestMaxMinTies: a tie sends half the gradient to each operand, as
// PyTorch's maximum and minimum do, on both tapes.
func TestMaxMinTies(t *testing.T) {
	for _, compress := range []bool{false, true} {
		for _, f := range []func(*Tape, *Tensor, *Tensor) (*Tensor, error){(*Tape).Max, (*Tape).Min} {
			ins := []*Tensor{New([]int{3}, []float32{1, 2, 3}), New([]int{3}, []float32{1, 5, 0})}
			_, g := tapeGrads(t, &Tape{Compress: compress}, func(tp *Tape, in []*Tensor) (*Tensor, error) { return f(tp, in[0], in[1]) },
				ins, func(n int) []float32 { return []float32{2, 2, 2} })
			if g[0][0] != 1 || g[1][0] != 1 || g[0][1]+g[1][1] != 2 || g[0][2]+g[1][2] != 2 || !slices.Contains([]float32{0, 2}, g[0][1]) {
				t.Fatalf("compress %v: gradients %v", compress, g)
			}
		}
	}
}
