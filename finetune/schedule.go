package finetune

import (
	"fmt"
	"math"
)

// Schedule is SGDR, cosine annealing with warm restarts, stepped per batch
// and fitted to the run's budget: within a cycle of T batches that began at
// batch t₀,
//
//	lr(t) = LRMin + ½(LRMax − LRMin)(1 + cos(π(t − t₀)/(T − 1))),
//
// so a cycle's first batch takes LRMax and its last LRMin. The cycles keep
// the proportions T0 : T0·TMult : T0·TMult² ... of McDonnell's recipe, and
// their number is the most that fit the budget whole (at least one); they
// are then stretched by one factor so that the last one ends exactly on the
// run's last batch (FitRule says it in words). Training therefore always
// ends at LRMin, whatever the epoch count.
type Schedule struct {
	LRMax, LRMin float64
	T0           float64 // epochs in the first cycle, before fitting
	TMult        float64 // growth of each next cycle (>= 1)
}

// DefaultSchedule suits fine-tuning a pretrained model: a tenth of the
// from-scratch 0.1 so the first steps do not wreck the pretrained features
// (on ResNet-20 at 4 epochs, 0.003 and 0.03 both ended lower), annealed to
// 1e-4, in cycles shaped 8, 16, 32 ... epochs (McDonnell's Tmult = 2, but a
// first cycle of 8 epochs, not his 2) fitted to the budget: up to 23 epochs
// are one cycle, 24 to 55 two, 56 to 119 three. A fine-tune starts near a
// good solution, so an early restart at LRMax mostly throws progress away:
// on ResNet-20 at 8 epochs, two cycles spent epochs 3 to 5 recovering and
// ended below one cycle (docs/BENCHMARKS.md, "Recipe defaults").
var DefaultSchedule = Schedule{LRMax: 0.01, LRMin: 1e-4, T0: 8, TMult: 2}

// FitRule states how the cycles are fitted to the budget (for --help).
const FitRule = "warm-restart cycles keep the proportions t0, t0*tmult, t0*tmult^2 ...; " +
	"their number is the most whose unstretched lengths fit in --epochs (at least 1), " +
	"and they are stretched by one factor so the last cycle ends exactly at the last batch, at --lr-min"

func (s Schedule) validate() error {
	if !(s.LRMax > 0) || s.LRMin < 0 || s.LRMin > s.LRMax || !(s.T0 > 0) || !(s.TMult >= 1) {
		return fmt.Errorf("finetune: schedule %+v needs 0 <= LRMin <= LRMax, LRMax > 0, T0 > 0, TMult >= 1", s)
	}
	return nil
}

// Cycles returns the fitted cycle lengths in epochs for a budget of epochs.
func (s Schedule) Cycles(epochs float64) []float64 {
	if epochs <= 0 {
		return nil
	}
	lens := []float64{s.T0}
	sum, next := s.T0, s.T0*s.TMult
	for sum+next <= epochs*(1+1e-9) {
		lens = append(lens, next)
		sum, next = sum+next, next*s.TMult
	}
	for i := range lens {
		lens[i] *= epochs / sum
	}
	return lens
}

// schedPlan is a schedule laid out over a run of total batches: ends[i] is the
// batch after the last of cycle i, and the last end is total.
type schedPlan struct {
	s    Schedule
	ends []int
}

// layout fits s to total batches of which perEpoch make an epoch.
func (s Schedule) layout(total, perEpoch int) schedPlan {
	p := schedPlan{s: s}
	if total <= 0 {
		return p
	}
	acc := 0.0
	for _, c := range s.Cycles(float64(total) / float64(perEpoch)) {
		acc += c
		end := min(total, int(math.Round(acc*float64(perEpoch))))
		if n := len(p.ends); n > 0 && end <= p.ends[n-1] {
			continue // a cycle shorter than half a batch merges into the next
		}
		p.ends = append(p.ends, end)
	}
	p.ends[len(p.ends)-1] = total
	return p
}

// total is the number of batches the plan covers.
func (p schedPlan) total() int {
	if len(p.ends) == 0 {
		return 0
	}
	return p.ends[len(p.ends)-1]
}

// epochs is the cycle lengths as laid out, in epochs of perEpoch batches.
func (p schedPlan) epochs(perEpoch int) []float64 {
	out := make([]float64, len(p.ends))
	start := 0
	for i, end := range p.ends {
		out[i], start = float64(end-start)/float64(perEpoch), end
	}
	return out
}

// at returns the learning rate of batch step (0-based), whether step
// begins a new cycle (after the first), and whether it ends one.
func (p schedPlan) at(step int) (lr float64, restart, last bool) {
	start := 0
	for _, end := range p.ends {
		if step < end {
			frac := 1.0
			if n := end - start; n > 1 {
				frac = float64(step-start) / float64(n-1)
			}
			lr = p.s.LRMin + 0.5*(p.s.LRMax-p.s.LRMin)*(1+math.Cos(math.Pi*frac))
			return lr, step == start && start > 0, step == end-1
		}
		start = end
	}
	return p.s.LRMin, false, false
}
