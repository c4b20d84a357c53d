package finetune

// phaseProgress returns a callback that reports a phase's batches as
// Events (Phase "bn" or "eval", Batch of Batches), so a caller can show
// progress through BN re-estimation and evaluation, not only training.
func (t *trainer) phaseProgress(phase string) func(done, total int) {
	return func(done, total int) { t.emit(Event{Phase: phase, Batch: done, Batches: total}) }
}
