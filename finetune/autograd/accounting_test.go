package autograd

import (
	"math/rand/v2"
	"testing"
)

// smallNet is conv(binary) → BN → ReLU → conv(binary) → GAP → flatten →
// Gemm(binary) → cross-entropy on x [2, 3, 4, 4].
func smallNet(t *testing.T, tp *Tape) {
	t.Helper()
	r := rand.New(rand.NewPCG(4, 2))
	x := randTensor(r, -1, 1, 2, 3, 4, 4)
	w1, w2 := Param([]int{4, 3, 3, 3}, randTensor(r, -1, 1, 108).Data), Param([]int{4, 4, 3, 3}, randTensor(r, -1, 1, 144).Data)
	g, b := Param([]int{4}, []float32{1, 1, 1, 1}), Param([]int{4}, make([]float32, 4))
	fc := Param([]int{4, 5}, randTensor(r, -1, 1, 20).Data)
	pad := ConvAttrs{PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}
	y, err := tp.Conv(x, w1, nil, pad, true)
	must(t, err)
	y, _, err = tp.BatchNormTrain(y, g, b, 1e-5)
	must(t, err)
	y, err = tp.Conv(tp.Relu(y), w2, nil, pad, true)
	must(t, err)
	y, err = tp.GlobalAveragePool(y)
	must(t, err)
	y, err = tp.Gemm(tp.View(y, []int{2, 4}), fc, nil, GemmAttrs{Alpha: 1, Beta: 1}, true)
	must(t, err)
	_, _, err = tp.CrossEntropy(y, []int{1, 3}, 1)
	must(t, err)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSavedBytesHandCount checks the tape's accounting against a count by
// hand of what each op keeps (N = 2, 4×4 planes, so each channel holds 32
// values; codes are word-aligned per channel, plus lo/hi per channel).
func TestSavedBytesHandCount(t *testing.T) {
	const f32, word, loHi = 4, 8, 8
	params := int64(4*f32 + 4*4*9*f32 + 4*5*f32) // BN γ, conv2 weights, fc weights (conv1's input needs no grad)
	exact := int64(
		2*3*16*f32 + // conv1 input x
			2*4*16*f32 + 2*4*f32 + // BN input, mean and 1/σ
			2*4*16*f32 + // ReLU output (= conv2 input, counted once)
			2*4*f32 + // Gemm input
			2*2*5*f32) // softmax and target
	compressed := int64(
		3*(word+loHi) + // conv1 input: 32 bits per channel
			4*(word+loHi) + 2*4*f32 + // BN x̂: 64 bits per channel at 2 bits
			2*word + // ReLU mask: 128 bits
			4*(word+loHi) + // conv2 input
			4*(word+loHi) + // Gemm input: 2 values per feature
			2*2*5*f32)
	for _, c := range []struct {
		compress bool
		want     int64
	}{{false, exact}, {true, compressed}} {
		tp := &Tape{Compress: c.compress, Key: 9}
		smallNet(t, tp)
		act, par := tp.SavedBytes()
		if act != c.want || par != params {
			t.Errorf("compress=%v: saved %d activation and %d parameter bytes, want %d and %d", c.compress, act, par, c.want, params)
		}
	}
}
