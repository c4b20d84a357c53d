package finetune

import (
	"errors"
	"fmt"

	"github.com/bincompress/bincompress/internal/backend"
)

// batchAdvice turns a device's out-of-memory failure into an error that
// names the largest batch that fits: the largest whose planned device
// peak (MemoryPlan.Device) fits 95 % of what the device lets the pool
// hold (its free memory and what the pool reserves; the rest is slack
// for memory outside the pool, as cuBLAS's workspace). Other errors pass.
func (t *trainer) batchAdvice(failed error) error {
	mr, ok := t.be.(backend.MemoryReporter)
	if failed == nil || !ok || !errors.Is(failed, backend.ErrOutOfMemory) || t.mem == nil || t.mem.dev == nil {
		return failed
	}
	t.be.Err()
	exact := t.cfg.ExactBackward
	room := int64(0.95 * float64(mr.Memory().Capacity))
	fit := t.mem.largestBatch(room, exact, t.batch)
	if fit < 2 {
		return fmt.Errorf("%w; not even a batch of 2 fits (%s planned, %s free for it)", failed, FormatBytes(t.mem.peak(2, exact)), FormatBytes(room))
	}
	return fmt.Errorf("%w: a training step at batch %d does not fit on %s (%s free for it; batch %d plans %s): the largest batch that fits is %d (--batch-size %d)",
		failed, t.batch, t.be.Name(), FormatBytes(room), t.batch, FormatBytes(t.mem.peak(t.batch, exact)), fit, fit)
}
