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

// TestScheduleByHand: a budget of 3 epochs of 4 batches, T0 = 1, Tmult = 2,
// lr 1 → 0: cycles of 1 and 2 epochs (4 and 8 batches), each starting at
// LRMax and ending at LRMin.
func TestScheduleByHand(t *testing.T) {
	p := Schedule{LRMax: 1, LRMin: 0, T0: 1, TMult: 2}.layout(12, 4)
	cases := []struct {
		step          int
		lr            float64
		restart, ends bool
	}{
		{0, 1, false, false},
		{1, 0.5 * (1 + math.Cos(math.Pi/3)), false, false}, // 0.75
		{3, 0, false, true},
		{4, 1, true, false}, // second cycle: 8 batches
		{6, 0.5 * (1 + math.Cos(math.Pi*2/7)), false, false},
		{11, 0, false, true},
	}
	for _, c := range cases {
		lr, restart, ends := p.at(c.step)
		if math.Abs(lr-c.lr) > 1e-12 || restart != c.restart || ends != c.ends {
			t.Errorf("step %d: lr %v restart %v ends %v, want %v %v %v", c.step, lr, restart, ends, c.lr, c.restart, c.ends)
		}
	}
	if err := (Schedule{LRMax: 0.1, LRMin: 0.2, T0: 1, TMult: 1}).validate(); err == nil {
		t.Fatal("want an error for LRMin > LRMax")
	}
}

// TestScheduleFitsBudget: for every budget, the default schedule's last
// batch is at LRMin and ends a cycle, the cycles keep the 1 : 2 : 4
// proportions and cover the run, and the cycle counts DefaultSchedule's
// comment states hold.
func TestScheduleFitsBudget(t *testing.T) {
	s := DefaultSchedule
	wantCycles := map[int]int{1: 1, 2: 1, 4: 1, 8: 1, 23: 1, 24: 2, 55: 2, 56: 3, 119: 3, 120: 4}
	for epochs := 1; epochs <= 120; epochs++ {
		for _, perEpoch := range []int{1, 7, 469} {
			total := epochs * perEpoch
			p := s.layout(total, perEpoch)
			lr, _, ends := p.at(total - 1)
			if lr != s.LRMin || !ends || p.total() != total {
				t.Fatalf("%d epochs of %d batches: last lr %v ends %v total %d, want %v true %d", epochs, perEpoch, lr, ends, p.total(), s.LRMin, total)
			}
			if lr, _, _ := p.at(0); perEpoch > 1 && lr != s.LRMax {
				t.Fatalf("%d epochs: first lr %v, want %v", epochs, lr, s.LRMax)
			}
			c := s.Cycles(float64(epochs))
			if n, ok := wantCycles[epochs]; ok && len(c) != n {
				t.Errorf("%d epochs: %d cycles %v, want %d", epochs, len(c), c, n)
			}
			sum := 0.0
			for i, x := range c {
				sum += x
				if i > 0 && math.Abs(x/c[i-1]-s.TMult) > 1e-9 {
					t.Errorf("%d epochs: cycles %v lose the Tmult proportion", epochs, c)
				}
			}
			if math.Abs(sum-float64(epochs)) > 1e-9 {
				t.Errorf("%d epochs: cycles %v sum to %v", epochs, c, sum)
			}
		}
	}
}
