package finetune

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/internal/backend"
	"github.com/bincompress/bincompress/ir"
)

// ErrNoBinaryLayer is returned when the selection leaves no layer to binarize.
var ErrNoBinaryLayer = errors.New("finetune: no conv or dense layer to binarize")

// trainer is one run's state.
type trainer struct {
	cfg      Config
	student  *net
	teacher  *net
	opt      *sgd
	names    []string
	train    Source
	val      Source
	progress func(Event)
	batch    int
	epoch    int // epochs completed
	step     int
	res      *Result
	begun    time.Time         // when Train was called, for the done event
	bufs     *autograd.Buffers // recycled by every training step's tape
	be       backend.Backend   // a device backend (Config.Backend), or nil for the CPU
	inBuf    backend.Buffer    // the batch on the device
	mem      *memoryModel      // the run's memory plan
	// around is each step tape's Around (a profiler's), or nil.
	around func(i int, backward func())
}

// Train fine-tunes model into binary weights as cfg says, on train, and
// reports accuracy on val (which may be nil). The input model is not
// changed; the result holds a copy with the float latent weights. Progress
// goes to the callback (which may be nil). A cancelled ctx stops the run
// between batches with ctx's error; the last checkpoint stays valid.
func Train(ctx context.Context, model *ir.Model, train, val Source, cfg Config, progress func(Event)) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if train == nil {
		return nil, errors.New("finetune: no training data")
	}
	begun := time.Now()
	mem, err := newMemoryModel(model, train.SampleShape(), cfg)
	if err != nil {
		return nil, err
	}
	runtime.GC() // the traced copy of the model is garbage: let the trainer reuse its memory
	if cfg.BatchSize, err = mem.chooseBatch(cfg, train.Len()); err != nil {
		return nil, err
	}
	t, err := newTrainer(model, train, val, cfg, progress)
	if err != nil {
		return nil, err
	}
	t.begun, t.mem = begun, mem
	defer t.planMemory()()
	defer collectSooner()()
	defer t.freeDevice()
	defer t.releaseMemory()
	if err := t.start(ctx); err != nil {
		return nil, t.batchAdvice(err)
	}
	for t.epoch < cfg.Epochs {
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

func newTrainer(model *ir.Model, train, val Source, cfg Config, progress func(Event)) (*trainer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if model == nil {
		return nil, errors.New("finetune: no model")
	}
	work := model.Clone()
	untie(work.Graph)
	student, err := compile(work, &selection{mode: cfg.Scale, keep: cfg.KeepFloat})
	if err != nil {
		return nil, err
	}
	if len(student.layers) == 0 {
		return nil, ErrNoBinaryLayer
	}
	if err := checkSource("training", train, student.inShape, 1); err != nil {
		return nil, err
	}
	if val != nil {
		if err := checkSource("validation", val, student.inShape, 1); err != nil {
			return nil, err
		}
	}
	t := &trainer{cfg: cfg, student: student, train: train, val: val, progress: progress,
		batch: min(cfg.BatchSize, train.Len()), res: &Result{Model: work, Layers: student.Layers()}}
	if t.batch < 2 {
		return nil, fmt.Errorf("finetune: training data has %d sample, need at least 2: %w", train.Len(), ErrEmptyData)
	}
	if cfg.Distill > 0 {
		if t.teacher, err = compile(model, nil); err != nil {
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

// start resumes from a checkpoint, or binarizes and re-estimates BN.
func (t *trainer) start(ctx context.Context) error {
	if t.cfg.Resume {
		return t.loadCheckpoint()
	}
	t.student.binarize()
	var err error
	if t.res.ValBinarized, err = t.evaluate(ctx); err != nil {
		return err
	}
	t.emit(Event{Phase: "binarized", ValAcc: t.res.ValBinarized})
	if err := t.reestimate(ctx, -1); err != nil {
		return err
	}
	if t.res.ValReestimated, err = t.evaluate(ctx); err != nil {
		return err
	}
	t.emit(Event{Phase: "reestimated", ValAcc: t.res.ValReestimated})
	return nil
}

// finish re-estimates BN, evaluates, and records the binarization.
func (t *trainer) finish(ctx context.Context) (*Result, error) {
	if err := t.measure(ctx); err != nil {
		return nil, err
	}
	t.student.binarize()
	if err := t.reestimate(ctx, -2); err != nil {
		return nil, err
	}
	var err error
	if t.res.ValFinal, err = t.evaluate(ctx); err != nil {
		return nil, err
	}
	t.student.syncHost() // the trained weights into the result's model
	if err := t.deviceErr(); err != nil {
		return nil, err
	}
	t.res.Memory.PeakRSS = PeakResident()
	layers, _ := json.Marshal(t.res.Layers)
	t.res.Model.SetMetadata(MetadataKey, string(layers))
	t.emit(Event{Phase: "done", Epoch: t.epoch, Epochs: t.cfg.Epochs, ValAcc: t.res.ValFinal, TrainAcc: math.NaN(),
		Elapsed: time.Since(t.begun)})
	return t.res, nil
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
