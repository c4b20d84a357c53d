package autograd

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestBatchNormInPlace: BN and BN+ReLU written over their input give, bit
// for bit, the outputs, statistics and gradients (through a binary conv
// that reads them) of the ordinary ops on a compressing tape (whose codes
// are taken before x is overwritten) and on a ValuesOnly tape, and write
// over x there; on an exact tape, which keeps x, they leave x alone.
// BatchNormEvalInPlace likewise matches BatchNormEval.
func TestBatchNormInPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	x0 := randTensor(r, -2, 2, 4, 3, 5, 6)
	g, b := New([]int{3}, []float32{1.2, -0.7, 0.9}), New([]int{3}, []float32{0.3, 0.2, -0.4})
	w := randTensor(r, -1, 1, 2, 3, 3, 3)
	dy := randTensor(r, -1, 1, 4, 2, 5, 6).Data
	type result struct {
		y, mean, grads [][]float32
		overwrote      bool
	}
	run := func(mk func() *Tape, relu, inPlace bool) result {
		tp := mk()
		x := Param(x0.Shape, slices.Clone(x0.Data))
		ps := []*Tensor{x, Param(g.Shape, slices.Clone(g.Data)), Param(b.Shape, slices.Clone(b.Data)), Param(w.Shape, slices.Clone(w.Data))}
		f := map[[2]bool]func(x, s, b *Tensor, eps float32) (*Tensor, BatchStats, error){
			{false, false}: tp.BatchNormTrain, {false, true}: tp.BatchNormTrainInPlace,
			{true, false}: tp.BatchNormRelu, {true, true}: tp.BatchNormReluInPlace,
		}[[2]bool{relu, inPlace}]
		y, st, err := f(ps[0], ps[1], ps[2], 1e-5)
		must(t, err)
		res := result{y: [][]float32{slices.Clone(y.Data)}, mean: [][]float32{st.Mean, st.Var}, overwrote: &y.Data[0] == &x.Data[0]}
		if tp.ValuesOnly {
			return res
		}
		out, err := tp.Conv(y, ps[3], nil, ConvAttrs{PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}, true)
		must(t, err)
		must(t, tp.BackwardFrom(out, dy))
		for _, p := range ps {
			res.grads = append(res.grads, p.Grad())
		}
		return res
	}
	tapes := map[string]func() *Tape{
		"compressed":  func() *Tape { return &Tape{Compress: true, Key: 5, Buffers: NewBuffers()} },
		"values only": func() *Tape { return &Tape{ValuesOnly: true, Buffers: NewBuffers()} },
		"exact":       func() *Tape { return &Tape{Key: 5, Buffers: NewBuffers()} },
	}
	for name, mk := range tapes {
		for _, relu := range []bool{false, true} {
			want, got := run(mk, relu, false), run(mk, relu, true)
			label := fmt.Sprintf("%s, relu %v", name, relu)
			if !equalAll(got.y, want.y) || !equalAll(got.mean, want.mean) || !equalAll(got.grads, want.grads) {
				t.Errorf("%s: in place differs from the ordinary op", label)
			}
			if got.overwrote != (name != "exact") || want.overwrote {
				t.Errorf("%s: wrote over x: %v in place, %v ordinary", label, got.overwrote, want.overwrote)
			}
		}
	}
	mean, v := New([]int{3}, []float32{0.1, -0.2, 0.3}), New([]int{3}, []float32{1, 0.5, 2})
	want, err := BatchNormEval(x0, g, b, mean, v, 1e-5)
	must(t, err)
	x := New(x0.Shape, slices.Clone(x0.Data))
	got, err := (&Tape{ValuesOnly: true}).BatchNormEvalInPlace(x, g, b, mean, v, 1e-5)
	must(t, err)
	if !slices.Equal(got.Data, want.Data) || &got.Data[0] != &x.Data[0] {
		t.Error("BatchNormEvalInPlace differs from BatchNormEval or does not write over x")
	}
}

func equalAll(a, b [][]float32) bool {
	return slices.EqualFunc(a, b, func(x, y []float32) bool { return slices.Equal(x, y) })
}
