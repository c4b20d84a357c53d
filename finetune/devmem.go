package finetune

import (
	"errors"
	"fmt"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/internal/backend"
)

// batchAdvice turns a device's out-of-memory failure into an error that
// names the largest batch that fits. A training step's device memory is a
// fixed part plus a part per image; both come from measuring steps at two
// small batches of the run's first batch, which then divide what the
// device has free for a step. The run is failing, so the measuring steps'
// side effects (BN running statistics) do not matter. Other errors pass.
func (t *trainer) batchAdvice(failed error) error {
	mr, ok := t.be.(backend.MemoryReporter)
	if failed == nil || !ok || !errors.Is(failed, backend.ErrOutOfMemory) {
		return failed
	}
	t.be.Err()
	first := newPlan(t.train, t.batch, true, false, Augment{}, 0, 0).load(0)
	b1 := max(2, t.batch/8)
	b2 := max(b1+2, t.batch/4)
	if first.err != nil || b2 > len(first.labels) {
		return failed
	}
	if _, err := t.stepMemory(mr, first, b1); err != nil { // allocates the parameters' gradients
		return fmt.Errorf("%w; not even a batch of %d fits", failed, b1)
	}
	base := mr.Memory()
	n1, err1 := t.stepMemory(mr, first, b1)
	n2, err2 := t.stepMemory(mr, first, b2)
	if err := errors.Join(err1, err2); err != nil || n2 <= n1 {
		return failed
	}
	per := float64(n2-n1) / float64(b2-b1)
	fixed := float64(n1) - per*float64(b1)
	room := 0.95 * float64(base.Capacity-base.InUse) // slack for the pool's rounding
	fit := int((room - fixed) / per)
	if fit < 2 {
		return fmt.Errorf("%w; not even a batch of 2 fits", failed)
	}
	return fmt.Errorf("%w: a training step at batch %d does not fit on %s (%s free for it; a step needs about %s + %s per image): the largest batch that fits is about %d (--batch-size %d)",
		failed, t.batch, t.be.Name(), bytesOf(room), bytesOf(max(fixed, 0)), bytesOf(per), fit, fit)
}

// bytesOf writes a size in KiB, MiB or GiB.
func bytesOf(b float64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.3g GiB", b/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.3g MiB", b/(1<<20))
	}
	return fmt.Sprintf("%.3g KiB", b/(1<<10))
}

// stepMemory runs forward and backward (no update) on the first b images
// of full and returns the device memory the step reserved beyond what was
// in use before.
func (t *trainer) stepMemory(mr backend.MemoryReporter, full batch, b int) (uint64, error) {
	per := full.x.Len() / len(full.labels)
	sub := batch{x: autograd.New(append([]int{b}, full.x.Shape[1:]...), full.x.Data[:b*per]), labels: full.labels[:b]}
	mr.ReleaseCache()
	before := mr.Memory().InUse
	mr.ResetPeak()
	tp := &autograd.Tape{Compress: !t.cfg.ExactBackward, BNBits: t.cfg.BNBits, Key: 1}
	loss, _, err := t.loss(tp, sub)
	if err == nil {
		err = tp.Backward(loss)
	} else {
		tp.Reset()
	}
	for _, p := range t.student.params {
		p.ZeroGrad()
	}
	if e := t.deviceErr(); err == nil {
		err = e
	}
	return mr.Memory().PeakReserved - before, err
}
