package finetune

import (
	"fmt"
	"math"
)

// Schedule is SGDR, cosine annealing with warm restarts, stepped per batch:
// within a cycle of T batches that began at batch t₀,
//
//	lr(t) = LRMin + ½(LRMax − LRMin)(1 + cos(π(t − t₀)/T)),
//
// and each cycle is TMult times longer than the one before, the first T0
// epochs long. Cycle lengths are rounded to whole batches.
type Schedule struct {
	LRMax, LRMin float64
	T0           float64 // epochs in the first cycle
	TMult        float64 // growth of each next cycle (>= 1)
}

// DefaultSchedule suits fine-tuning a pretrained model: a tenth of the
// from-scratch 0.1 so the first steps do not wreck the pretrained features,
// annealed to 1e-4 over cycles of 2, 4, 8 ... epochs (McDonnell's T0 = 2,
// Tmult = 2; runs of 2, 6 or 14 epochs end at a cycle's low point).
var DefaultSchedule = Schedule{LRMax: 0.01, LRMin: 1e-4, T0: 2, TMult: 2}

func (s Schedule) validate() error {
	if !(s.LRMax > 0) || s.LRMin < 0 || s.LRMin > s.LRMax || !(s.T0 > 0) || !(s.TMult >= 1) {
		return fmt.Errorf("finetune: schedule %+v needs 0 <= LRMin <= LRMax, LRMax > 0, T0 > 0, TMult >= 1", s)
	}
	return nil
}

// at returns the learning rate of batch step (0-based) with stepsPerEpoch
// batches per epoch, and whether step begins a new cycle (after the first).
func (s Schedule) at(step, stepsPerEpoch int) (lr float64, restart bool) {
	start, length := 0, max(1, int(math.Round(s.T0*float64(stepsPerEpoch))))
	for step >= start+length {
		start += length
		length = max(1, int(math.Round(float64(length)*s.TMult)))
	}
	frac := float64(step-start) / float64(length)
	return s.LRMin + 0.5*(s.LRMax-s.LRMin)*(1+math.Cos(math.Pi*frac)), step == start && step > 0
}
