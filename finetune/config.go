package finetune

import (
	"errors"
	"fmt"
	"time"

	"github.com/bincompress/bincompress/internal/backend"
	"github.com/bincompress/bincompress/ir"
)

// Config is everything a fine-tuning run depends on; equal configs on equal
// data give identical weights at any GOMAXPROCS. Start from DefaultConfig.
type Config struct {
	Epochs    int
	BatchSize int // AutoBatch: the largest that fits MaxMemory
	Seed      uint64
	// MaxMemory, when set, is the most resident memory the run may plan
	// for (MemoryPlan.Peak, bytes), on a device the most device memory
	// (MemoryPlan.Device.Peak): a batch whose plan exceeds it is an
	// ErrMemory naming the largest batch that fits.
	MaxMemory int64

	// ExactBackward saves float32 activations for backward instead of the
	// compressed codes (autograd's doc.go).
	ExactBackward bool
	// BNBits is the width of BatchNormalization's saved input when
	// compressing (1, 2, 4 or 8).
	BNBits int

	// Distill weights distillation from the source float model:
	// loss = (1 − Distill)·CE + Distill·T²·KL(teacher ‖ student) at
	// temperature Temperature. 0 trains on labels alone.
	Distill     float32
	Temperature float32

	Schedule      Schedule
	Momentum      float32
	Nesterov      bool
	WeightDecay   float32 // on conv and dense weights only
	ResetMomentum bool    // zero momentum at each warm restart

	Augment Augment
	// BNBatches is how many training batches BN re-estimation averages over
	// (after binarizing and at the end); 0 means one pass over the data.
	BNBatches int

	// CheckpointDir, when set, receives a checkpoint after every epoch;
	// Resume continues from the one there.
	CheckpointDir string
	Resume        bool

	// Backend runs the training's tensor work: nil (or autograd.CPU) for
	// the CPU, a device backend (gpu.Device.Backend) to train on a GPU.
	// It does not change the result beyond rounding, and a checkpoint from
	// one backend resumes on another.
	Backend backend.Backend

	// pinned, set by PinMemory, is the process's memory before training
	// that every plan made with this config takes instead of measuring it.
	pinned resident
}

// resident is the process's resident memory and the part of it the Go
// runtime manages (residentBytes).
type resident struct{ all, goPart int64 } // in the fingerprint (as zeros): a field more would refuse every existing checkpoint

// DefaultConfig is McDonnell's recipe adapted to fine-tuning a pretrained
// model (design.md): batch 128, SGD momentum 0.9, weight decay 5e-4 on conv
// and dense weights, DefaultSchedule, pad-2 crop and flip, compressed
// backward with 2-bit BN inputs, and the loss all distillation from the
// source model (always at hand) at temperature 1. The crop pads 2 pixels,
// not the paper's 4: the paper trains from scratch, while a fine-tune
// learns from its teacher, whose outputs are best on images like those it
// was trained on, and 2 pixels is within what small-image models usually
// train with (CIFAR's 4, our Fashion-MNIST models' 2). docs/BENCHMARKS.md
// ("Recipe defaults") has the measurements behind each choice.
func DefaultConfig() Config {
	return Config{Epochs: 6, BatchSize: 128, Seed: 1, BNBits: 2,
		Distill: 1, Temperature: 1, Schedule: DefaultSchedule, Momentum: 0.9, WeightDecay: 5e-4,
		Augment: Augment{Pad: 2, Flip: true}, BNBatches: 200}
}

// Validate checks the config as Train does, so a caller can refuse bad
// settings before any work.
func (c *Config) Validate() error { return c.validate() }

func (c *Config) validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("finetune: "+format, args...))
		}
	}
	check(c.Epochs >= 0, "epochs %d must not be negative", c.Epochs)
	check(c.BatchSize >= 2 || c.BatchSize == AutoBatch && c.MaxMemory > 0, "batch size %d must be at least 2 (batch statistics), or auto with a memory limit", c.BatchSize)
	check(c.MaxMemory >= 0, "memory limit %d must not be negative", c.MaxMemory)
	check(c.BNBits == 1 || c.BNBits == 2 || c.BNBits == 4 || c.BNBits == 8, "BN bits %d must be 1, 2, 4 or 8", c.BNBits)
	check(c.Distill >= 0 && c.Distill <= 1, "distill weight %v must lie in [0, 1]", c.Distill)
	check(c.Distill == 0 || c.Temperature > 0, "temperature %v must be positive", c.Temperature)
	check(c.Momentum >= 0 && c.Momentum < 1 && c.WeightDecay >= 0, "momentum %v must lie in [0, 1) and weight decay %v be >= 0", c.Momentum, c.WeightDecay)
	check(c.Augment.Pad >= 0 && c.BNBatches >= 0, "augment pad and BN batches must not be negative")
	check(!c.Resume || c.CheckpointDir != "", "resume needs a checkpoint directory")
	if err := c.Schedule.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Event reports progress; Train calls the callback from its own goroutine.
type Event struct {
	// Phase is "float" (the source model's accuracy), "binarized"
	// (accuracy with stale BN statistics), "reestimated" (after BN
	// re-estimation), "resumed" (in their place with Config.Resume: Epoch
	// of Epochs were done, ValAcc is the last one's held-out accuracy),
	// "batch", "epoch", "done", or "sensitivity"
	// (Sensitivity measured Layer: Batch of Batches); or, for progress
	// within a phase, "bn" (a BN re-estimation batch) or "eval" (a
	// validation batch), with Batch of Batches set.
	Phase          string
	Layer          string
	Epoch, Epochs  int // Epoch counts from 1
	Batch, Batches int // within the epoch, from 1
	Loss           float64
	TrainAcc       float64 // fraction; NaN when not measured
	ValAcc         float64 // fraction; NaN without validation data
	LR             float64
	ImagesPerSec   float64
	Elapsed, ETA   time.Duration
}

// EpochStats summarizes one epoch.
type EpochStats struct {
	Epoch                  int
	Loss, TrainAcc, ValAcc float64
	LR                     float64 // at the epoch's last batch
	ImagesPerSec           float64
	Seconds                float64
}

// Memory is what a training step keeps for backward in both modes and the
// memory the run planned (MemoryPlan, in both modes, at the run's batch)
// and saw: the peak Go heap right after a forward pass (runtime/metrics,
// heap objects), the process's peak resident memory (VmHWM) at the end
// of training and, on a device, the most device memory the backend's pool
// reserved during the run (PeakDevice; MemoryPlan.Device plans it).
type Memory struct {
	ExactPerImage      float64 // activation bytes per image, float32 autograd
	CompressedPerImage float64 // activation bytes per image, compressed codes
	ParamBytes         int64   // weight references the tape holds (per step, not per image)
	PeakHeap           uint64
	PeakRSS            int64
	PeakDevice         int64
	Batch              int
	PlanExact          MemoryPlan
	PlanCompressed     MemoryPlan
}

// AutoBatch as Config.BatchSize takes the largest batch whose planned peak
// fits Config.MaxMemory.
const AutoBatch = 0

// Result is a fine-tuned model: float latent weights in the model's
// initializers, BN statistics re-estimated, and the binarization plan it
// was trained for unchanged in its metadata (ir.LayersKey).
type Result struct {
	Model  *ir.Model
	Epochs []EpochStats
	// Held-out accuracies (NaN without held-out data): the source float
	// model, right after binarizing, after BN re-estimation, and the kept
	// snapshot.
	ValFloat, ValBinarized, ValReestimated, ValFinal float64
	// ValDropStdErr is the standard error of ValFloat − ValFinal, from the
	// held-out images only one of the two models gets right
	// (pairedStdErr); NaN without held-out data or when the kept snapshot
	// came from a checkpoint, unmeasured.
	ValDropStdErr float64
	Memory        Memory
	// Cycles is the warm-restart cycle lengths in epochs as fitted to the
	// budget; Snapshots the cycle ends measured on the held-out data, one
	// of them kept.
	Cycles    []float64
	Snapshots []Snapshot
	// Loss is the training curve: the epoch's running loss at up to
	// MaxLossPoints batches spaced evenly over the run (a resumed run
	// carries the points before its checkpoint).
	Loss []LossPoint
}

// LossPoint is the running mean loss of an epoch after a batch; Step is
// the position in epochs (2.5: half-way through the third).
type LossPoint struct{ Step, Loss float64 }

// MaxLossPoints bounds Result.Loss.
const MaxLossPoints = 100
