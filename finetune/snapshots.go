package finetune

import (
	"context"
	"math"
)

// Snapshots. SGDR's models worth keeping are those at the end of a
// warm-restart cycle, where the rate is lowest (Loshchilov & Hutter); a
// short run may still do better at an epoch's end. So every cycle end and
// every epoch end is a candidate: BN statistics are re-estimated (over
// BNBatches training batches at a cycle end, a quarter of them at an epoch
// end that is not one, since the running statistics lag binary weights that
// flip fast at high rates), the held-out accuracy is measured, and the best
// candidate (the later on a tie) is the result; one that had the quick
// re-estimation gets the full one at the end.

// Snapshot is one candidate model as the holdout saw it.
type Snapshot struct {
	Epoch     float64 `json:"epoch"` // fractional epochs trained
	Step      int     `json:"step"`  // batches trained
	CycleEnd  bool    `json:"cycle_end"`
	BNBatches int     `json:"bn_batches"` // batches BN was re-estimated over (0: all)
	Accuracy  float64 `json:"holdout_accuracy"`
	Kept      bool    `json:"kept"`
}

// weights is a copy of the latent weights and BN running statistics.
type weights struct {
	Params  map[string][]float32
	Running map[string][]float32
}

// copyWeights copies the student's weights to the host (from the device,
// on a device backend), into w's buffers when w is not nil: a new best
// made beside the old one would hold two snapshots at once, one more than
// the memory plan counts (modelBytes).
func (t *trainer) copyWeights(w *weights) *weights {
	t.student.syncHost()
	if w == nil {
		w = &weights{Params: map[string][]float32{}, Running: map[string][]float32{}}
	}
	into := func(m map[string][]float32, name string, v []float32) {
		m[name] = append(m[name][:0], v...)
	}
	for _, name := range t.names {
		into(w.Params, name, t.student.hostValues(name))
	}
	for nd, s := range t.student.bn {
		into(w.Running, nd.Input(3), s.mean)
		into(w.Running, nd.Input(4), s.variance)
	}
	return w
}

// restoreWeights puts w back into the student (and onto its device).
func (t *trainer) restoreWeights(w *weights) error {
	for _, name := range t.names {
		if err := restoreInto(t.student.hostValues(name), w.Params[name], name); err != nil {
			return err
		}
	}
	for nd, s := range t.student.bn {
		if err := restoreInto(s.mean, w.Running[nd.Input(3)], nd.Input(3)); err != nil {
			return err
		}
		if err := restoreInto(s.variance, w.Running[nd.Input(4)], nd.Input(4)); err != nil {
			return err
		}
	}
	t.student.syncDevice()
	return t.deviceErr()
}

// candidate re-estimates BN over batches training batches, measures the
// holdout and keeps the weights if they are the best so far.
func (t *trainer) candidate(ctx context.Context, batches int, cycleEnd bool) (float64, error) {
	tag := -3 - len(t.res.Snapshots)
	if err := t.reestimate(ctx, tag, batches); err != nil {
		return 0, err
	}
	acc, err := t.evaluate(ctx)
	if err != nil {
		return 0, err
	}
	s := Snapshot{Epoch: float64(t.step) / float64(t.perEpoch), Step: t.step, CycleEnd: cycleEnd, BNBatches: batches, Accuracy: acc}
	if t.best == nil || !(acc < t.bestAcc) {
		t.best, t.bestAcc, t.bestQuick = t.copyWeights(t.best), acc, batches != t.cfg.BNBatches
		t.bestHits = append(t.bestHits[:0], t.lastHits...)
		for i := range t.res.Snapshots {
			t.res.Snapshots[i].Kept = false
		}
		s.Kept = true
	}
	t.res.Snapshots = append(t.res.Snapshots, s)
	return acc, nil
}

// cycleEnd is a candidate at the end of a warm-restart cycle. Without
// holdout data only the last cycle's end counts (nothing to choose with).
func (t *trainer) cycleEnd(ctx context.Context, last bool) (float64, error) {
	if t.val == nil && !last {
		return math.NaN(), nil
	}
	return t.candidate(ctx, t.cfg.BNBatches, true)
}

// epochAccuracy is the holdout accuracy at an epoch's end: the cycle end's
// when the epoch ended one, else a candidate's after a quick BN
// re-estimation.
func (t *trainer) epochAccuracy(ctx context.Context, atCycleEnd float64) (float64, error) {
	if t.val == nil || !math.IsNaN(atCycleEnd) {
		return atCycleEnd, nil
	}
	return t.candidate(ctx, t.cfg.quickBN(), false)
}

// keepBest restores the best snapshot for the result and gives it the full
// BN re-estimation if it had the quick one.
func (t *trainer) keepBest(ctx context.Context) (float64, error) {
	if t.best == nil {
		return math.NaN(), nil
	}
	if err := t.restoreWeights(t.best); err != nil || !t.bestQuick {
		return t.bestAcc, err
	}
	if err := t.reestimate(ctx, -2, t.cfg.BNBatches); err != nil {
		return 0, err
	}
	acc, err := t.evaluate(ctx)
	t.bestHits = append(t.bestHits[:0], t.lastHits...)
	return acc, err
}

// quickBN is the number of batches of a quick BN re-estimation: a quarter
// of BNBatches (0, all of them, stays 0).
func (c Config) quickBN() int {
	if c.BNBatches == 0 {
		return 0
	}
	return max(1, c.BNBatches/4)
}
