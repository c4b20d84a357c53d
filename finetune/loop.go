package finetune

import (
	"context"
	"fmt"
	"math"
	"runtime/metrics"
	"time"

	"github.com/bincompress/bincompress/finetune/autograd"
)

// runEpoch trains one epoch, evaluates, and saves a checkpoint.
func (t *trainer) runEpoch(ctx context.Context) error {
	plan := newPlan(t.train, t.batch, true, true, t.cfg.Augment, t.cfg.Seed, t.epoch)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := meter{begin: time.Now(), total: plan.count()}
	for b := range plan.stream(sctx) {
		if b.err != nil {
			return b.err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		loss, c, endsCycle, err := t.trainStep(b, &m.lr)
		if err != nil {
			return err
		}
		m.add(loss, c, len(b.labels))
		t.recordLoss(&m)
		t.emit(m.event(t))
		if m.cycleAcc = math.NaN(); endsCycle {
			if m.cycleAcc, err = t.cycleEnd(ctx, t.step == t.sched.total()); err != nil {
				return err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return t.endEpoch(ctx, m.stats(t.epoch+1), m.cycleAcc)
}

// meter accumulates an epoch's running figures.
type meter struct {
	begin          time.Time
	total, batches int
	correct, seen  int
	lossSum, lr    float64
	cycleAcc       float64 // holdout accuracy if the last batch ended a cycle, else NaN
}

func (m *meter) add(loss float64, correct, n int) {
	m.batches++
	m.lossSum, m.correct, m.seen = m.lossSum+loss, m.correct+correct, m.seen+n
}

func (m *meter) event(t *trainer) Event {
	el := time.Since(m.begin)
	return Event{Phase: "batch", Epoch: t.epoch + 1, Epochs: t.cfg.Epochs, Batch: m.batches, Batches: m.total,
		Loss: m.lossSum / float64(m.batches), TrainAcc: float64(m.correct) / float64(m.seen), ValAcc: math.NaN(), LR: m.lr,
		ImagesPerSec: float64(m.seen) / el.Seconds(), Elapsed: el, ETA: t.eta(el, m.batches, m.total)}
}

func (m *meter) stats(epoch int) EpochStats {
	secs := time.Since(m.begin).Seconds()
	return EpochStats{Epoch: epoch, Loss: m.lossSum / float64(max(m.batches, 1)), TrainAcc: float64(m.correct) / float64(max(m.seen, 1)),
		LR: m.lr, ImagesPerSec: float64(m.seen) / secs, Seconds: secs}
}

func (t *trainer) endEpoch(ctx context.Context, st EpochStats, cycleAcc float64) error {
	var err error
	if st.ValAcc, err = t.epochAccuracy(ctx, cycleAcc); err != nil {
		return err
	}
	t.epoch++
	t.res.Epochs = append(t.res.Epochs, st)
	if err := t.saveCheckpoint(); err != nil {
		return err
	}
	t.emit(Event{Phase: "epoch", Epoch: st.Epoch, Epochs: t.cfg.Epochs, Loss: st.Loss, TrainAcc: st.TrainAcc,
		ValAcc: st.ValAcc, LR: st.LR, ImagesPerSec: st.ImagesPerSec, Elapsed: time.Duration(st.Seconds * float64(time.Second)),
		ETA: time.Duration(st.Seconds * float64(t.cfg.Epochs-t.epoch) * float64(time.Second))}) // at this epoch's pace
	return nil
}

// recordLoss adds the running loss to the curve at every stride-th batch
// of the run, so that it holds at most MaxLossPoints points.
func (t *trainer) recordLoss(m *meter) {
	stride := max(1, t.cfg.Epochs*m.total/MaxLossPoints)
	if (t.epoch*m.total+m.batches)%stride == 0 {
		t.res.Loss = append(t.res.Loss, LossPoint{Step: float64(t.epoch) + float64(m.batches)/float64(m.total), Loss: m.lossSum / float64(m.batches)})
	}
}

// eta is the time left in the run at this epoch's rate per batch.
func (t *trainer) eta(el time.Duration, done, total int) time.Duration {
	left := total - done + (t.cfg.Epochs-t.epoch-1)*total
	return timeLeft(el, done, done+left)
}

// trainStep runs forward, backward and the update on one batch and returns
// the loss, the number of correct predictions and whether the step ended a
// warm-restart cycle.
func (t *trainer) trainStep(b batch, lr *float64) (float64, int, bool, error) {
	rate, restart, endsCycle := t.sched.at(t.step)
	if restart && t.cfg.ResetMomentum {
		t.opt.resetMomentum()
	}
	*lr = rate
	t.student.binarize()
	if t.bufs == nil {
		t.bufs = newStepBuffers()
	}
	v, correct, err := t.forwardBackward(b, stepKey(t.cfg.Seed, t.step))
	if err != nil {
		return 0, 0, false, err
	}
	t.opt.step(float32(rate))
	t.step++
	return v, correct, endsCycle, t.deviceErr()
}

// forwardBackward runs the forward pass, the loss and the backward pass
// of a training step on b (a "train" pass of the step buffers), leaving
// the gradients in the parameters, and returns the loss and the number of
// correct predictions.
func (t *trainer) forwardBackward(b batch, key uint64) (float64, int, error) {
	t.bufs.Begin("train")
	defer t.bufs.End()
	tp := &autograd.Tape{Compress: !t.cfg.ExactBackward, BNBits: t.cfg.BNBits, Key: key, Buffers: t.bufs, Around: t.around}
	defer tp.Reset() // after an error; Backward resets it too
	loss, correct, err := t.loss(tp, b)
	if err != nil {
		return 0, 0, err
	}
	t.samplePeak()
	v := float64(values(loss)[0])
	if err := t.deviceErr(); err != nil {
		return 0, 0, err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		err := fmt.Errorf("%w (%v) at epoch %d, batch step %d (a lower learning rate may avoid it)", ErrNaNLoss, v, t.epoch+1, t.step)
		if t.cfg.CheckpointDir != "" && t.epoch > 0 {
			err = fmt.Errorf("%w; the last checkpoint in %s is from epoch %d", err, t.cfg.CheckpointDir, t.epoch)
		}
		return 0, 0, err
	}
	return v, correct, tp.Backward(loss)
}

// loss is (1 − α)·CE + α·T²·KL(teacher ‖ student).
func (t *trainer) loss(tp *autograd.Tape, b batch) (*autograd.Tensor, int, error) {
	x := t.input(b.x)
	logits, err := t.student.forward(tp, x, modeTrain)
	if err != nil {
		return nil, 0, err
	}
	if err := checkLabels(b.labels, logits.Shape[1]); err != nil {
		return nil, 0, err
	}
	a := t.cfg.Distill
	ce, correct, err := tp.CrossEntropy(logits, b.labels, 1-a)
	if err != nil || t.teacher == nil {
		return ce, correct, err
	}
	vtp := &autograd.Tape{Buffers: t.bufs, ValuesOnly: true}
	defer vtp.Reset() // Distill keeps its own softmax of the teacher's logits
	teach, err := t.teacher.forward(vtp, x, modeEval)
	if err != nil {
		return nil, 0, err
	}
	kd, err := tp.Distill(logits, teach, t.cfg.Temperature, a)
	vtp.Release(teach) // its buffer back now
	if err != nil {
		return nil, 0, err
	}
	total, err := tp.Add(ce, kd)
	return total, correct, err
}

func checkLabels(labels []int, classes int) error {
	for i, l := range labels {
		if l < 0 || l >= classes {
			return fmt.Errorf("%w: label %d of a batch's sample %d is outside the model's %d classes", ErrLabel, l, i, classes)
		}
	}
	return nil
}

// stepKey derives the stochastic codes' key from the seed and the step.
func stepKey(seed uint64, step int) uint64 {
	z := seed*0x9e3779b97f4a7c15 + uint64(step)
	z = (z ^ z>>31) * 0xbf58476d1ce4e5b9
	return z ^ z>>29
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

// samplePeak records the heap in use right after a forward pass, when the
// tape holds the most.
func (t *trainer) samplePeak() {
	metrics.Read(heapSample)
	if heapSample[0].Value.Kind() == metrics.KindUint64 {
		t.res.Memory.PeakHeap = max(t.res.Memory.PeakHeap, heapSample[0].Value.Uint64())
	}
}

// evaluate is the top-1 accuracy on the validation data with binary
// weights and running BN statistics (NaN without validation data).
func (t *trainer) evaluate(ctx context.Context) (float64, error) {
	if t.val == nil {
		return math.NaN(), nil
	}
	t.student.binarize()
	if len(t.lastHits) != t.val.Len() {
		t.lastHits = make([]bool, t.val.Len())
	}
	return accuracyReporting(ctx, t.student, t.val, t.batch, t.bufs, t.input, t.phaseProgress("eval"), t.lastHits)
}

// accuracy is the top-1 accuracy of n on src in batches of size, its
// passes' outputs in bufs (which may be nil).
func accuracy(ctx context.Context, n *net, src Source, size int, bufs *autograd.Buffers) (float64, error) {
	return accuracyReporting(ctx, n, src, size, bufs, identityInput, nil, nil)
}

func identityInput(x *autograd.Tensor) *autograd.Tensor { return x }

// accuracyReporting is accuracy with the batches put on n's backend by
// input, calling report(done, total) after each batch when report is not
// nil, and setting hits[i] to whether image i is right when hits is not
// nil (len src.Len(): the batches come in order).
func accuracyReporting(ctx context.Context, n *net, src Source, size int, bufs *autograd.Buffers, input func(*autograd.Tensor) *autograd.Tensor, report func(done, total int), hits []bool) (float64, error) {
	plan := newPlan(src, size, false, false, Augment{}, 0, 0)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	correct, done, seen := 0, 0, 0
	for b := range plan.stream(sctx) {
		if b.err != nil {
			return 0, b.err
		}
		err := valuesPass(n, bufs, input(b.x), modeEval, func(logits *autograd.Tensor) error {
			k, v := logits.Shape[1], values(logits)
			if err := checkLabels(b.labels, k); err != nil {
				return err
			}
			for i, l := range b.labels {
				right := argmaxRow(v[i*k:(i+1)*k]) == l
				if right {
					correct++
				}
				if hits != nil {
					hits[seen+i] = right
				}
			}
			seen += len(b.labels)
			return nil
		})
		if err != nil {
			return 0, err
		}
		if done++; report != nil {
			report(done, plan.count())
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return float64(correct) / float64(src.Len()), nil
}

// valuesPass runs a forward pass of n on x that computes values only
// (evaluation, or BN statistics), its outputs taken from bufs (nil: new)
// and given back as soon as they are read, hands the logits to read (when
// set), and gives every buffer back.
func valuesPass(n *net, bufs *autograd.Buffers, x *autograd.Tensor, m mode, read func(*autograd.Tensor) error) error {
	bufs.Begin(map[mode]string{modeEval: "eval", modeStats: "stats"}[m])
	defer bufs.End()
	tp := &autograd.Tape{Buffers: bufs, ValuesOnly: true}
	defer tp.Reset()
	logits, err := n.forward(tp, x, m)
	if err != nil {
		return err
	}
	defer tp.Release(logits) // on a device: its buffer back
	if read == nil {
		return nil
	}
	return read(logits)
}

func argmaxRow(row []float32) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// reestimate recomputes BN statistics over up to batches training batches
// (all of them for 0); tag keeps each re-estimation's batch order distinct
// and reproducible.
func (t *trainer) reestimate(ctx context.Context, tag, batches int) error {
	// No augmentation: the statistics must describe the images the model
	// sees at inference, not padded and flipped ones.
	plan := newPlan(t.train, t.batch, true, true, Augment{}, t.cfg.Seed, tag)
	limit := plan.count()
	if batches > 0 {
		limit = min(limit, batches)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t.student.binarize() // the latent weights may have moved since the last step's Ŵ
	t.student.resetStats()
	i := 0
	for b := range plan.stream(sctx) {
		if b.err != nil {
			return b.err
		}
		if err := valuesPass(t.student, t.bufs, t.input(b.x), modeStats, nil); err != nil {
			return err
		}
		t.emit(Event{Phase: "bn", Batch: i + 1, Batches: limit})
		if i++; i == limit {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	t.student.applyStats()
	t.student.statsToDevice()
	return t.deviceErr()
}

// measure records the bytes a training step saves for backward per image,
// exact and compressed, and the planned memory of the run, from the memory
// model's traces (no pass at the run's batch: an exact one would set the
// compressed run's peak).
func (t *trainer) measure(ctx context.Context) error {
	if t.mem == nil {
		m, err := newMemoryModel(t.source, t.plan, t.train.SampleShape(), t.cfg)
		if err != nil {
			return err
		}
		t.mem = m
	}
	exact, compressed := t.mem.plan(t.batch, true), t.mem.plan(t.batch, false)
	mem := &t.res.Memory
	mem.ExactPerImage, mem.CompressedPerImage, mem.ParamBytes = exact.SavedPerImage, compressed.SavedPerImage, compressed.ParamBytes
	mem.Batch = t.batch
	if t.be == nil || t.mem.dev != nil { // a device's plan is of device memory (none where it keeps no account)
		mem.PlanExact, mem.PlanCompressed = exact, compressed
	}
	return ctx.Err()
}

// newStepBuffers makes the recycler of a run's training steps; tests swap
// in none (every buffer new, the reference recycling must match) or one
// that poisons what it gets back.
var newStepBuffers = autograd.NewBuffers
