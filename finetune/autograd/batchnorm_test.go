package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/bincompress/bincompress/internal/kernels"
)

func TestBatchNormTrainGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	for _, shape := range [][]int{{4, 3, 2, 2}, {6, 5}} {
		c := shape[1]
		ins := []*Tensor{randTensor(r, -2, 2, shape...), randTensor(r, 0.5, 1.5, c), randTensor(r, -1, 1, c)}
		checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) {
			y, _, err := tp.BatchNormTrain(in[0], in[1], in[2], 1e-5)
			return y, err
		}, ins, 1e-2, 5e-3)
	}
}

// TestBatchNormMatchesEval: training-mode output equals eval-mode output fed
// the batch's own statistics (ONNX: biased variance).
func TestBatchNormMatchesEval(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	x := randTensor(r, -3, 5, 3, 2, 4, 4)
	sc, bi := randTensor(r, 0.5, 2, 2), randTensor(r, -1, 1, 2)
	y, st, err := (*Tape)(nil).BatchNormTrain(x, sc, bi, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	for ch := 0; ch < 2; ch++ { // the statistics by a plain two-pass sum
		var s, ss float64
		for b := 0; b < 3; b++ {
			for i := 0; i < 16; i++ {
				s += float64(x.Data[(b*2+ch)*16+i])
			}
		}
		mu := s / 48
		for b := 0; b < 3; b++ {
			for i := 0; i < 16; i++ {
				d := float64(x.Data[(b*2+ch)*16+i]) - mu
				ss += d * d
			}
		}
		if math.Abs(float64(st.Mean[ch])-mu) > 1e-5 || math.Abs(float64(st.Var[ch])-ss/48) > 1e-4 {
			t.Fatalf("channel %d: stats %v %v, want %v %v", ch, st.Mean[ch], st.Var[ch], mu, ss/48)
		}
	}
	ye, err := BatchNormEval(x, sc, bi, New([]int{2}, st.Mean), New([]int{2}, st.Var), 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	for i := range y.Data {
		if math.Abs(float64(y.Data[i]-ye.Data[i])) > 1e-5 {
			t.Fatalf("element %d: train %v eval %v", i, y.Data[i], ye.Data[i])
		}
	}
}

// TestBatchNormTakesConvMoments: after a recorded conv, BN takes its
// statistics from the sums the conv handed over; they must agree with BN's
// own pass over the same values.
func TestBatchNormTakesConvMoments(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	x, w := randTensor(r, -1, 1, 3, 4, 6, 6), randTensor(r, -1, 1, 5, 4, 3, 3)
	g, b := randTensor(r, 0.5, 1.5, 5), randTensor(r, -0.5, 0.5, 5)
	tp := &Tape{}
	y, err := tp.Conv(x, Param(w.Shape, w.Data), nil, ConvAttrs{PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}, false)
	must(t, err)
	if ms, _ := y.moments.([]kernels.PlaneMoments); len(ms) != 3*5 {
		t.Fatalf("the conv handed over %d plane sums, want 15", len(ms))
	}
	_, got, err := tp.BatchNormTrain(y, g, b, 1e-5)
	must(t, err)
	_, want, err := (*Tape)(nil).BatchNormTrain(New(y.Shape, y.Data), g, b, 1e-5)
	must(t, err)
	for ch := range want.Mean {
		if math.Abs(float64(got.Mean[ch]-want.Mean[ch])) > 1e-6 || math.Abs(float64(got.Var[ch]-want.Var[ch])) > 1e-5*float64(want.Var[ch]) {
			t.Fatalf("channel %d: mean, var %v, %v from the conv's sums; %v, %v from BN's pass", ch, got.Mean[ch], got.Var[ch], want.Mean[ch], want.Var[ch])
		}
	}
}
