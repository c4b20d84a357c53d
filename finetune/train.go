package finetune

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/internal/backend"
	"github.com/bincompress/bincompress/ir"
)

// ErrNoBinaryLayer is returned when the plan leaves no layer to binarize.
var ErrNoBinaryLayer = errors.New("finetune: the plan binarizes no layer")

// trainer is one run's state.
type trainer struct {
	cfg       Config
	source    *ir.Model        // the caller's model, not modified
	srcDigest string           // pack.Digest of source, once a checkpoint needs it
	trainID   string           // dataDigest of the training data, likewise
	plan      []ir.LayerRecord // what the student trains binary
	student   *net
	teacher   *net
	opt       *sgd
	names     []string
	train     Source
	val       Source
	progress  func(Event)
	batch     int
	perEpoch  int // batches in an epoch
	sched     schedPlan
	epoch     int // epochs completed
	step      int
	best      *weights // the best snapshot so far
	bestAcc   float64
	bestQuick bool // best had the quick BN re-estimation
	res       *Result
	begun     time.Time         // when Train was called, for the done event
	bufs      *autograd.Buffers // recycled by every training step's tape
	be        backend.Backend   // a device backend (Config.Backend), or nil for the CPU
	inBuf     backend.Buffer    // the batch on the device
	mem       *memoryModel      // the run's memory plan
	devBase   uint64            // device memory reserved before the run (resetDevicePeak)
	// Which held-out images each model gets right, for the drop's
	// standard error: the last evaluation's, the source's and the best
	// snapshot's (nil when not measured: a resumed best).
	lastHits, floatHits, bestHits []bool
	// around is each step tape's Around (a profiler's), or nil.
	around func(i int, backward func())
}

// Train fine-tunes model into binary weights as cfg says, on train, and
// reports accuracy on val (which may be nil). The input model is not
// changed; the result holds a copy with the float latent weights. Progress
// goes to the callback (which may be nil). A cancelled ctx stops the run
// between batches with ctx's error; the last checkpoint stays valid.
func Train(ctx context.Context, model *ir.Model, train, val Source, cfg Config, progress func(Event)) (*Result, error) {
	plan, err := planOf(model)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(plan, func(r ir.LayerRecord) bool { return r.Binarized }) {
		return nil, ErrNoBinaryLayer
	}
	return trainPlan(ctx, model, plan, train, val, cfg, progress)
}

// trainPlan plans the run's memory (the batch too, for AutoBatch), then
// trains plan's binary layers of model.
func trainPlan(ctx context.Context, model *ir.Model, plan []ir.LayerRecord, train, val Source, cfg Config, progress func(Event)) (*Result, error) {
	begun := time.Now()
	mem, cfg, err := planRun(model, plan, train, cfg)
	if err != nil {
		return nil, err
	}
	devBase := resetDevicePeak(cfg.Backend)
	defer limitDeviceCache(cfg.Backend, devBase, mem.plan(cfg.BatchSize, cfg.ExactBackward))()
	t, err := newTrainer(model, plan, train, val, cfg, progress)
	if err != nil {
		return nil, err
	}
	t.begun, t.mem, t.devBase = begun, mem, devBase
	return t.run(ctx)
}

// planRun checks cfg and plans the memory of a run of plan on train: the
// plan (MaxMemory refuses a batch over it) and cfg with AutoBatch resolved.
func planRun(model *ir.Model, plan []ir.LayerRecord, train Source, cfg Config) (*memoryModel, Config, error) {
	if err := cfg.validate(); err != nil {
		return nil, cfg, err
	}
	if train == nil {
		return nil, cfg, errors.New("finetune: no training data")
	}
	mem, err := newMemoryModel(model, plan, train.SampleShape(), cfg)
	if err != nil {
		return nil, cfg, err
	}
	runtime.GC() // the traced copy of the model is garbage: let the trainer reuse its memory
	resumed := resumeBatch(cfg)
	if resumed > 0 {
		cfg.BatchSize = resumed
	}
	cfg.BatchSize, err = mem.chooseBatch(cfg, train.Len())
	if err != nil && resumed > 0 {
		err = fmt.Errorf("%w; the checkpoint was trained at batch %d, which a resume must keep: pass --batch-size %d with a --max-memory it fits", err, resumed, resumed)
	}
	return mem, cfg, err
}

// resumeBatch is the batch a resume with AutoBatch trains at: its
// checkpoint's, since the batch is part of the trajectory and the largest
// that fits moves with the process's measured memory from run to run (0
// when cfg names a batch, does not resume, or the checkpoint does not
// say: the resume itself then reports it).
func resumeBatch(cfg Config) int {
	if !cfg.Resume || cfg.BatchSize != AutoBatch {
		return 0
	}
	ck, err := openCheckpoint(cfg.CheckpointDir)
	if err != nil {
		return 0
	}
	return ck.Batch
}

// run trains the epochs and finishes.
func (t *trainer) run(ctx context.Context) (*Result, error) {
	defer t.planMemory()()
	defer collectSooner()()
	defer t.freeDevice()
	defer t.releaseMemory()
	if err := t.start(ctx); err != nil {
		return nil, t.batchAdvice(err)
	}
	for t.epoch < t.cfg.Epochs {
		if err := t.runEpoch(ctx); err != nil {
			return nil, t.batchAdvice(err)
		}
	}
	res, err := t.finish(ctx)
	return res, t.batchAdvice(err)
}

// collectSooner lowers the garbage collector's target to 50 % growth for a
// training run, unless GOGC says otherwise, and returns the undo. The
// recycled step buffers (autograd.Buffers) stay live between steps, so at
// the default 100 % the heap grows to twice them: on a Fashion-MNIST
// epoch, peak RSS 729 → 622 MB with exact backward and 510 → 430 MB with
// compressed, no slower (the buffers hold no pointers, so a collection
// costs little).
func collectSooner() (undo func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(50)
	return func() { debug.SetGCPercent(old) }
}

func newTrainer(model *ir.Model, plan []ir.LayerRecord, train, val Source, cfg Config, progress func(Event)) (*trainer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if model == nil {
		return nil, errors.New("finetune: no model")
	}
	work := model.Clone()
	untie(work.Graph)
	student, err := compile(work, plan)
	if err != nil {
		return nil, err
	}
	if err := checkSource("training", train, student.inShape, 1); err != nil {
		return nil, err
	}
	if val != nil {
		if err := checkSource("validation", val, student.inShape, 1); err != nil {
			return nil, err
		}
	}
	t := &trainer{cfg: cfg, source: model, plan: plan, student: student, train: train, val: val, progress: progress,
		batch: min(cfg.BatchSize, train.Len()), res: &Result{Model: work}}
	if t.batch < 2 {
		return nil, fmt.Errorf("finetune: training data has %d sample, need at least 2: %w", train.Len(), ErrEmptyData)
	}
	t.perEpoch = train.Len() / t.batch
	t.sched = cfg.Schedule.layout(cfg.Epochs*t.perEpoch, t.perEpoch)
	t.res.Cycles = t.sched.epochs(t.perEpoch)
	if cfg.Distill > 0 {
		if t.teacher, err = floatNet(model); err != nil {
			return nil, err
		}
	}
	if onDevice(cfg) {
		if err := CheckDevice(model); err != nil {
			return nil, err
		}
		t.be = cfg.Backend
		t.student.toDevice(t.be)
		if t.teacher != nil {
			t.teacher.toDevice(t.be)
		}
	}
	t.opt = t.newOptimizer()
	if err := t.deviceErr(); err != nil {
		t.freeDevice()
		return nil, err
	}
	return t, nil
}

func (t *trainer) newOptimizer() *sgd {
	params := make([]*autograd.Tensor, len(t.student.order))
	decays := make([]bool, len(params))
	for i, name := range t.student.order {
		params[i], decays[i] = t.student.params[name], t.student.decay[name]
	}
	t.names = t.student.order
	return newSGD(params, decays, t.cfg.Momentum, t.cfg.WeightDecay, t.cfg.Nesterov)
}

// start measures the float model, then resumes from a checkpoint, or
// binarizes and re-estimates BN.
func (t *trainer) start(ctx context.Context) error {
	var err error
	if t.res.ValFloat, err = t.floatAccuracy(ctx); err != nil {
		return err
	}
	if t.val != nil {
		t.emit(Event{Phase: "float", ValAcc: t.res.ValFloat})
	}
	if t.cfg.Resume {
		if err := t.loadCheckpoint(); err != nil {
			return err
		}
		// A resumed run skips binarizing and re-estimating and starts at a
		// later epoch: say so, and from where, rather than leave the log
		// jumping from the float model to epoch N+1.
		t.emit(Event{Phase: "resumed", Epoch: t.epoch, Epochs: t.cfg.Epochs, ValAcc: t.lastValAcc()})
		return nil
	}
	t.student.binarize()
	if t.res.ValBinarized, err = t.evaluate(ctx); err != nil {
		return err
	}
	t.emit(Event{Phase: "binarized", ValAcc: t.res.ValBinarized})
	if err := t.reestimate(ctx, -1, t.cfg.BNBatches); err != nil {
		return err
	}
	if t.res.ValReestimated, err = t.evaluate(ctx); err != nil {
		return err
	}
	t.emit(Event{Phase: "reestimated", ValAcc: t.res.ValReestimated})
	return nil
}

// finish measures the tape, and keeps the best snapshot or, without one,
// re-estimates BN once more after training and evaluates.
func (t *trainer) finish(ctx context.Context) (*Result, error) {
	if err := t.measure(ctx); err != nil {
		return nil, err
	}
	var err error
	if t.res.ValFinal, err = t.keepBest(ctx); err != nil {
		return nil, err
	}
	switch {
	case t.best == nil && t.step == 0: // nothing trained: start re-estimated these weights
		t.res.ValFinal = t.res.ValReestimated
	case t.best == nil:
		if err := t.reestimate(ctx, -2, t.cfg.BNBatches); err != nil {
			return nil, err
		}
		if t.res.ValFinal, err = t.evaluate(ctx); err != nil {
			return nil, err
		}
	}
	final := t.lastHits // the last evaluation's: of the model kept, unless a best was restored
	if t.best != nil {
		final = t.bestHits
	}
	t.res.ValDropStdErr = pairedStdErr(t.floatHits, final)
	t.student.syncHost() // the trained weights into the result's model
	if err := t.deviceErr(); err != nil {
		return nil, err
	}
	t.res.Memory.PeakRSS, t.res.Memory.PeakDevice = PeakResident(), t.devicePeak()
	t.emit(Event{Phase: "done", Epoch: t.epoch, Epochs: t.cfg.Epochs, ValAcc: t.res.ValFinal, TrainAcc: math.NaN(),
		Elapsed: time.Since(t.begun)})
	return t.res, nil
}

// floatNet compiles the source model as it is, every layer float, on a
// copy with its tied initializers untied (as the student's). The copy
// shares m's tensor data: a float net only reads its weights and BN
// statistics (inference mode), so the teacher holds no second copy of the
// weights (45 MiB on a ResNet-18). TestTeacherLeavesTheSource holds it to
// that.
func floatNet(m *ir.Model) (*net, error) {
	c := m.CloneSharingData()
	untie(c.Graph)
	return compile(c, nil)
}

// floatAccuracy is the source model's held-out accuracy (NaN without
// held-out data).
func (t *trainer) floatAccuracy(ctx context.Context) (float64, error) {
	if t.val == nil {
		return math.NaN(), nil
	}
	if t.teacher != nil { // on the trainer's backend
		t.floatHits = make([]bool, t.val.Len())
		return accuracyReporting(ctx, t.teacher, t.val, t.batch, t.bufs, t.input, t.phaseProgress("eval"), t.floatHits)
	}
	n, err := floatNet(t.source)
	if err != nil {
		return 0, err
	}
	t.floatHits = make([]bool, t.val.Len())
	return accuracyReporting(ctx, n, t.val, t.batch, nil, identityInput, nil, t.floatHits)
}

// lastValAcc is the held-out accuracy of the last epoch done, NaN before
// any or without held-out images.
func (t *trainer) lastValAcc() float64 {
	if len(t.res.Epochs) == 0 {
		return math.NaN()
	}
	return t.res.Epochs[len(t.res.Epochs)-1].ValAcc
}

func (t *trainer) emit(e Event) {
	if t.progress == nil {
		return
	}
	if e.Phase != "batch" && e.Phase != "epoch" && e.Phase != "done" {
		e.TrainAcc = math.NaN()
	}
	t.progress(e)
}

// timeLeft estimates the remaining time from the rate so far.
func timeLeft(elapsed time.Duration, done, total int) time.Duration {
	if done == 0 {
		return 0
	}
	return time.Duration(float64(elapsed) / float64(done) * float64(total-done))
}
