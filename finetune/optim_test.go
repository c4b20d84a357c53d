package finetune

import (
	"math"
	"testing"

	"github.com/bincompress/bincompress/finetune/autograd"
)

// TestSGDByHand follows two steps of momentum SGD with weight decay by hand.
func TestSGDByHand(t *testing.T) {
	w := autograd.Param([]int{2}, []float32{1, -2})
	bias := autograd.Param([]int{1}, []float32{0.5})
	for _, nesterov := range []bool{false, true} {
		w.Data[0], w.Data[1], bias.Data[0] = 1, -2, 0.5
		o := newSGD([]*autograd.Tensor{w, bias}, []bool{true, false}, 0.9, 0.1, nesterov)
		// Step 1: g = (0.5, 0.5), d = g + 0.1·w = (0.6, 0.3); b = d.
		setGrad(w, 0.5, 0.5)
		setGrad(bias, 1)
		o.step(0.1)
		d1 := []float64{0.6, 0.3}
		b := []float64{0.6, 0.3}
		want := []float64{1 - 0.1*step(d1[0], b[0], nesterov), -2 - 0.1*step(d1[1], b[1], nesterov)}
		near(t, "step 1 w", w.Data, want)
		bb := 1.0 // no decay on the bias
		near(t, "step 1 bias", bias.Data, []float64{0.5 - 0.1*step(1, bb, nesterov)})
		// Step 2: g = (0, 0) again, d = 0.1·w; b = 0.9·b + d.
		w1 := []float64{float64(w.Data[0]), float64(w.Data[1])}
		setGrad(w, 0, 0)
		o.step(0.1)
		for i := range 2 {
			d := 0.1 * w1[i]
			b[i] = 0.9*b[i] + d
			want[i] = w1[i] - 0.1*step(d, b[i], nesterov)
		}
		near(t, "step 2 w", w.Data, want)
	}
}

func step(d, b float64, nesterov bool) float64 {
	if nesterov {
		return d + 0.9*b
	}
	return b
}

func setGrad(p *autograd.Tensor, g ...float32) {
	tp := &autograd.Tape{}
	y := tp.View(p, p.Shape)
	_ = tp.BackwardFrom(y, g)
}

func near(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6 {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}
}

// TestScheduleByHand: T0 = 1 epoch of 4 batches, Tmult = 2, lr 1 → 0.
func TestScheduleByHand(t *testing.T) {
	s := Schedule{LRMax: 1, LRMin: 0, T0: 1, TMult: 2}
	cases := []struct {
		step    int
		lr      float64
		restart bool
	}{
		{0, 1, false},
		{2, 0.5, false}, // half-way through a 4-batch cycle
		{3, 0.5 * (1 + math.Cos(math.Pi*3/4)), false}, // 0.1464
		{4, 1, true}, // second cycle: 8 batches
		{6, 0.5 * (1 + math.Cos(math.Pi*2/8)), false},
		{12, 1, true}, // third cycle: 16 batches
	}
	for _, c := range cases {
		lr, restart := s.at(c.step, 4)
		if math.Abs(lr-c.lr) > 1e-12 || restart != c.restart {
			t.Errorf("step %d: lr %v restart %v, want %v %v", c.step, lr, restart, c.lr, c.restart)
		}
	}
	if err := (Schedule{LRMax: 0.1, LRMin: 0.2, T0: 1, TMult: 1}).validate(); err == nil {
		t.Fatal("want an error for LRMin > LRMax")
	}
}
