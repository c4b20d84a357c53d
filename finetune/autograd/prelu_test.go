package autograd

import (
	"math"
	"math/rand/v2"
	"testing"
)

func preluIn(r *rand.Rand, big bool) []*Tensor {
	shape := []int{2, 3, 4, 5}
	if big {
		shape = []int{4, 8, 48, 48}
	}
	return []*Tensor{awayFrom(r, -2, 2, 0.05, []float32{0}, shape...), randTensor(r, 0.05, 0.5, shape[1], 1, 1)}
}

func preluCases() []opCase {
	prelu := func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.PRelu(in[0], in[1]) }
	scalar := func(r *rand.Rand, big bool) []*Tensor {
		in := preluIn(r, big)
		return []*Tensor{in[0], randTensor(r, 0.1, 0.3, 1)}
	}
	saved := func(in []*Tensor) (int64, int64) {
		return floatBytes(in[0]), maskBytes(len(in[0].Data)) + codeBytes(in[0].Shape, SmoothBits)
	}
	return []opCase{
		{name: "PRelu", f: prelu, inputs: preluIn, eps: 1e-2, tol: 2e-3, codeTol: -1, unbiased: []int{1}, saved: saved},
		{name: "PReluScalar", f: prelu, inputs: scalar, eps: 1e-2, tol: 2e-3, codeTol: -1, unbiased: []int{1}, saved: saved},
	}
}

func TestPReluGrad(t *testing.T) { checkOps(t, preluCases()) }

// TestPReluSlopeUnbiased: on a compressing tape the slope's gradient, from
// codes of min(x, 0), averages over keys to the exact one.
func TestPReluSlopeUnbiased(t *testing.T) {
	ins := preluIn(rand.New(rand.NewPCG(23, 1)), false)
	prelu := func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.PRelu(in[0], in[1]) }
	_, exact := tapeGrads(t, &Tape{}, prelu, ins, seedOf)
	checkUnbiased(t, prelu, ins, 1, exact[1], 400)
}

// checkUnbiased averages input i's gradient over draws compressing tapes
// (keys 1..draws) and checks it against exact within 5 standard errors; at
// least one element must vary, or the estimate is not stochastic.
func checkUnbiased(t *testing.T, f forwardFn, ins []*Tensor, i int, exact []float32, draws int) {
	t.Helper()
	sum, sq := make([]float64, len(exact)), make([]float64, len(exact))
	for d := range draws {
		_, g := tapeGrads(t, &Tape{Compress: true, Key: uint64(d + 1)}, f, ins, seedOf)
		for j, v := range g[i] {
			sum[j] += float64(v)
			sq[j] += float64(v) * float64(v)
		}
	}
	noisy := false
	for j, e := range exact {
		mean := sum[j] / float64(draws)
		sd := math.Sqrt(math.Max(sq[j]/float64(draws)-mean*mean, 0) / float64(draws))
		noisy = noisy || sd > 1e-6
		if math.Abs(mean-float64(e)) > 5*sd+1e-4 {
			t.Errorf("input %d gradient %d: mean %v over %d draws, exact %v (standard error %v)", i, j, mean, draws, e, sd)
		}
	}
	if !noisy {
		t.Fatal("the compressed gradient does not vary between draws: not stochastic")
	}
}
