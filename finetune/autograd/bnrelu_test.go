package autograd

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestBatchNormReluExactGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	ins := []*Tensor{randTensor(r, -2, 2, 4, 3, 3, 3), randTensor(r, -1.5, 1.5, 3), randTensor(r, -1, 1, 3)}
	checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) {
		y, _, err := tp.BatchNormRelu(in[0], in[1], in[2], 1e-5)
		return y, err
	}, ins, 1e-3, 5e-3)
}

// fusedChain is BatchNormRelu followed by a binary 3×3 conv; it returns the
// gradients of x, γ, β and the conv weights for output gradient dy.
func fusedChain(t *testing.T, tp *Tape, x, g, b, w *Tensor, dy []float32) [][]float32 {
	t.Helper()
	ps := []*Tensor{Param(x.Shape, x.Data), Param(g.Shape, g.Data), Param(b.Shape, b.Data), Param(w.Shape, w.Data)}
	a, _, err := tp.BatchNormRelu(ps[0], ps[1], ps[2], 1e-5)
	must(t, err)
	y, err := tp.Conv(a, ps[3], nil, ConvAttrs{PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}, true)
	must(t, err)
	must(t, tp.BackwardFrom(y, dy))
	return [][]float32{ps[0].Grad(), ps[1].Grad(), ps[2].Grad(), ps[3].Grad()}
}

// TestBatchNormReluCompressedUnbiased: over many draws of the fused code,
// the mean gradients of the conv weights, γ and β approach the exact ones
// (unbiased estimators), and so does x's (whose x̂·mean(g·x̂) term has an
// O(1/M) bias, well inside the tolerance); γ of both signs is covered.
func TestBatchNormReluCompressedUnbiased(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	x := randTensor(r, -2, 2, 8, 3, 8, 8) // M = 512 values per channel
	g := New([]int{3}, []float32{1.2, -0.7, 0.9})
	b := New([]int{3}, []float32{0.3, 0.2, -0.4})
	w := randTensor(r, -1, 1, 2, 3, 3, 3)
	dy := randTensor(r, -1, 1, 8, 2, 8, 8).Data
	exact := fusedChain(t, &Tape{}, x, g, b, w, dy)
	const draws = 400
	sum := make([][]float64, 4)
	sq := make([][]float64, 4)
	for k := range exact {
		sum[k], sq[k] = make([]float64, len(exact[k])), make([]float64, len(exact[k]))
	}
	for d := range draws {
		got := fusedChain(t, &Tape{Compress: true, Key: uint64(d + 1)}, x, g, b, w, dy)
		for k := range got {
			for i, v := range got[k] {
				sum[k][i] += float64(v)
				sq[k][i] += float64(v) * float64(v)
			}
		}
	}
	for k, name := range []string{"x", "gamma", "beta", "w"} {
		for i, e := range exact[k] {
			mean := sum[k][i] / draws
			se := math.Sqrt(math.Max(sq[k][i]/draws-mean*mean, 0) / draws)
			if math.Abs(mean-float64(e)) > 5*se+2e-3*(1+math.Abs(float64(e))) {
				t.Errorf("d%s[%d]: mean %v over %d draws, exact %v (standard error %v)", name, i, mean, draws, e, se)
			}
		}
	}
}

// TestBatchNormReluForwardAndSharing: the fused op computes the unfused
// values, and a binary conv reading its output shares its code.
func TestBatchNormReluForwardAndSharing(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	x, g, b := randTensor(r, -2, 2, 2, 3, 4, 4), randTensor(r, -1, 1, 3), randTensor(r, -1, 1, 3)
	want, _, _ := (*Tape)(nil).BatchNormTrain(x, g, b, 1e-5)
	want = (*Tape)(nil).Relu(want)
	tp := &Tape{Compress: true, Key: 3}
	ps := []*Tensor{Param(x.Shape, x.Data), Param(g.Shape, g.Data), Param(b.Shape, b.Data)}
	got, _, err := tp.BatchNormRelu(ps[0], ps[1], ps[2], 1e-5)
	must(t, err)
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("element %d: fused %v, unfused %v", i, got.Data[i], want.Data[i])
		}
	}
	before, _ := tp.SavedBytes()
	w := Param([]int{2, 3, 1, 1}, randTensor(r, -1, 1, 6).Data)
	_, err = tp.Conv(got, w, nil, ConvAttrs{}, true)
	must(t, err)
	after, _ := tp.SavedBytes()
	// 2 bits × 32 values per channel = 1 word; Lo, T, Hi; mean and 1/σ.
	if wantBytes := int64(3*(8+12) + 2*3*4); before != wantBytes || after != before {
		t.Fatalf("saved %d bytes, then %d with the conv; want %d both times", before, after, wantBytes)
	}
}
