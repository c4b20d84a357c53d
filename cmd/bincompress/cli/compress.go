package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/pflag"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/finetune"
	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/dataset"
	"github.com/bincompress/bincompress/internal/gpu"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
	"github.com/bincompress/bincompress/verify"
)

// CompressOptions are the inputs of the main command.
type CompressOptions struct {
	In, Out string

	Scale      string
	KeepFloat  string
	AllowEmpty bool

	Data, Val    string
	Calib        string
	CalibBatches int
	Prep         PrepFlags

	Train       finetune.Config
	Holdout     float64
	HoldoutData string
	Device      string
	Gate        GateFlags
	JSON        bool
	Report      string
	MaxElements int
	Quiet       bool

	fs *pflag.FlagSet // the flags as parsed: which were given
}

// defaultKeepFloat is the plan every command that binarizes a float model
// starts from: the main command, finetune and pack.
const defaultKeepFloat = "first,last"

func defaultCompressOptions() *CompressOptions {
	return &CompressOptions{Train: finetune.DefaultConfig()}
}

func (o *CompressOptions) register(fs *pflag.FlagSet) {
	o.fs = fs
	fs.StringVar(&o.Scale, "scale", "channel", "scale s of s*sign(W): he (sqrt(2/fan_in) per layer), channel (mean|W| per output channel) or layer (mean|W| per layer)")
	keepFloatFlag(fs, &o.KeepFloat, "layers to keep in float: first and last (the first and last conv or dense layer, each kept only while the .bnn stays within 1.25x the all-binary one), node names (always kept), none, or auto: with --data and --max-drop, measure each layer on the held-out images and keep float the fewest bytes that meet --max-drop there (exit 3 when none within 1.25x does)")
	fs.BoolVar(&o.AllowEmpty, "allow-empty", false, "write a .bnn even when no layer can be binarized")
	pathFlag(fs, &o.Data, "data", "fine-tune on this data set (IDX, CIFAR binary, image folder or x.npy/y.npy); its test split verifies")
	pathFlag(fs, &o.Val, "val", "verify on this data set (default: the test split of --data)")
	pathFlag(fs, &o.Calib, "calib", "without --data: re-estimate BatchNormalization statistics on this data after binarizing")
	fs.IntVar(&o.CalibBatches, "calib-batches", 50, "batches --calib averages over")
	o.Prep.register(fs)
	t := &o.Train
	fs.IntVar(&t.Epochs, "epochs", t.Epochs, "fine-tuning epochs; the learning-rate schedule is fitted to them: "+finetune.FitRule)
	fs.Float64Var(&o.Holdout, "holdout", finetune.DefaultHoldout, "training images held out to decide the snapshot kept, BN checks and layer sensitivity: a fraction (at most 5000 images) or a count; the test split only verifies (--holdout-data: a data set of your own instead)")
	pathFlag(fs, &o.HoldoutData, "holdout-data", "decide with this data set (its test split, else its only one) instead of images held out of --data, which then all train: "+
		"images the source model never saw, so that the held-out drop --keep-float auto weighs is the drop on unseen images")
	fs.Var(batchSizeFlag{&t.BatchSize}, "batch-size", "images per batch, or auto: the largest batch whose planned memory fits --max-memory (the summary reports it: pass it explicitly to reproduce a run)")
	fs.Var(memoryFlag{&t.MaxMemory}, "max-memory", "plan the run's memory before training and fail (exit 1, naming the largest batch that fits) if its peak exceeds this size, e.g. 2GiB; with --device cuda it bounds the GPU's memory, not the host's")
	fs.Uint64Var(&t.Seed, "seed", t.Seed, "seed of shuffling, augmentation and stochastic rounding: same seed, same .bnn")
	fs.BoolVar(&t.ExactBackward, "exact-backward", false, "save float activations for backward instead of 1-bit codes")
	fs.IntVar(&t.BNBits, "bn-bits", t.BNBits, "bits per element of BatchNormalization's saved input when compressing (1, 2, 4, 8)")
	fs.Float32Var(&t.Distill, "distill", t.Distill, "weight of distillation from the source float model (0..1; 0: labels only)")
	fs.Float32Var(&t.Temperature, "temperature", t.Temperature, "distillation temperature")
	fs.Float64Var(&t.Schedule.LRMax, "lr-max", t.Schedule.LRMax, "learning rate at the start of each cosine cycle")
	fs.Float64Var(&t.Schedule.LRMin, "lr-min", t.Schedule.LRMin, "learning rate at the end of each cosine cycle")
	fs.Float64Var(&t.Schedule.T0, "t0", t.Schedule.T0, "epochs in the first cosine cycle, before the cycles are fitted to --epochs")
	fs.Float64Var(&t.Schedule.TMult, "tmult", t.Schedule.TMult, "growth factor of each next cycle (1: equal cycles)")
	fs.Float32Var(&t.Momentum, "momentum", t.Momentum, "SGD momentum")
	fs.BoolVar(&t.Nesterov, "nesterov", false, "Nesterov momentum")
	fs.Float32Var(&t.WeightDecay, "weight-decay", t.WeightDecay, "weight decay on conv and dense weights")
	fs.BoolVar(&t.ResetMomentum, "reset-momentum", false, "zero the momentum at each warm restart")
	fs.IntVar(&t.Augment.Pad, "pad", t.Augment.Pad, "augmentation: pad by this many pixels and crop back at random (0: off; with --center-crop, training crops the resized image at random instead)")
	fs.BoolVar(&t.Augment.Flip, "flip", t.Augment.Flip, "augmentation: random horizontal flip")
	fs.StringVar(&o.Device, "device", "cpu", "where to fine-tune: cpu, cuda or auto (the GPU when one is usable, else the CPU); see docs/GPU.md")
	pathFlag(fs, &t.CheckpointDir, "checkpoint", "save a checkpoint into this folder after every epoch (with --keep-float auto, each round into its subfolder round-N)")
	fs.BoolVar(&t.Resume, "resume", false, "continue from the checkpoint in --checkpoint")
	o.Gate.register(fs)
	fs.BoolVar(&o.JSON, "json", false, "print a JSON-lines log on stdout: one line per training event, the summary (with the verify report) last")
	pathFlag(fs, &o.Report, "report", "write a self-contained HTML verify report (with the training curves) to this file")
	maxElementsFlag(fs, &o.MaxElements)
}

// validate checks every flag value before any work (usage errors, exit 2).
func (o *CompressOptions) validate() error {
	if o.Calib != "" && o.Data != "" {
		return usagef("--calib and --data exclude each other: fine-tuning re-estimates BatchNormalization itself")
	}
	if _, err := ir.ParseScaleMode(o.Scale); err != nil {
		return usageError{err}
	}
	if keep := convert.SplitList(o.KeepFloat); slices.Contains(keep, "none") && len(keep) > 1 {
		return usagef("--keep-float %s: none keeps no layer float, so it takes nothing beside it", o.KeepFloat)
	}
	if err := o.validateTraining(); err != nil {
		return err
	}
	if err := o.validateAuto(); err != nil {
		return err
	}
	if o.Data == "" && o.Val == "" && o.Calib == "" {
		if o.Gate.set() || o.Report != "" {
			return usagef("--max-drop, --min-accuracy and --report need data to verify on: give --data or --val")
		}
	}
	if !slices.Contains([]string{"cpu", "cuda", "auto"}, o.Device) { // gpu.Select's modes
		return usagef("--device %q: want cpu, cuda or auto", o.Device)
	}
	if o.Train.Resume && o.Data == "" {
		return usagef("--resume continues fine-tuning: give --data")
	}
	if fi, err := os.Stat(o.Train.CheckpointDir); o.Train.CheckpointDir != "" && err == nil && !fi.IsDir() {
		return usagef("--checkpoint %s is a file; name a folder", o.Train.CheckpointDir)
	}
	return firstErr(o.Gate.validate(), checkRange("calib-batches", o.CalibBatches, 1, 1<<30),
		o.Prep.validate(), checkMaxElements(o.MaxElements))
}

// validateTraining checks the fine-tuning flags by name, then as the
// trainer will (finetune.Config.Validate).
func (o *CompressOptions) validateTraining() error {
	t := &o.Train
	s := t.Schedule
	if t.BatchSize == finetune.AutoBatch && t.MaxMemory == 0 {
		return usagef("--batch-size auto needs --max-memory")
	}
	batch := error(nil)
	if t.BatchSize != finetune.AutoBatch {
		batch = checkRange("batch-size", t.BatchSize, 2, 1<<20)
	}
	err := firstErr(checkRange("epochs", t.Epochs, 0, 1<<20), batch,
		checkRange("distill", t.Distill, 0, 1), checkRange("temperature", t.Temperature, 1e-6, 1e6),
		checkRange("lr-max", s.LRMax, 1e-12, 1e6), checkRange("lr-min", s.LRMin, 0, s.LRMax),
		checkRange("t0", s.T0, 1e-6, 1e6), checkRange("tmult", s.TMult, 1, 1e6),
		checkRange("momentum", t.Momentum, 0, 0.999999), checkRange("weight-decay", t.WeightDecay, 0, 1e6),
		checkRange("pad", t.Augment.Pad, 0, 1<<10), checkRange("holdout", o.Holdout, 0, 1<<30))
	if err != nil {
		return err
	}
	if o.Holdout >= 1 && o.Holdout != math.Trunc(o.Holdout) {
		return usagef("--holdout %v: a fraction below 1 or a whole number of images", o.Holdout)
	}
	if err := o.validateHoldoutData(); err != nil {
		return err
	}
	if !slices.Contains([]int{1, 2, 4, 8}, t.BNBits) {
		return usagef("--bn-bits %d: want 1, 2, 4 or 8", t.BNBits)
	}
	if err := t.Validate(); err != nil {
		return usageError{err}
	}
	return nil
}

// validateHoldoutData checks that a held-out data set of the user's own
// replaces the slice of --data, and is not the data that verifies: the
// images that decide would then be scored again as unseen.
func (o *CompressOptions) validateHoldoutData() error {
	if o.HoldoutData == "" {
		return nil
	}
	verifies := cmp.Or(o.Val, o.Data)
	switch {
	case o.Data == "":
		return usagef("--holdout-data needs --data: it replaces the images held out of the training data")
	case o.fs != nil && o.fs.Changed("holdout"):
		return usagef("--holdout and --holdout-data exclude each other: with --holdout-data no training image is held out")
	case samePath(o.HoldoutData, verifies):
		return usagef("--holdout-data %s is the data that verifies (%s): the images that decide would also verify; give a data set of its own", o.HoldoutData, verifies)
	}
	return nil
}

// validateAuto checks what --keep-float auto needs before any work: data to
// hold images out of, a held-out slice, and --max-drop, its budget.
func (o *CompressOptions) validateAuto() error {
	if !o.autoFloat() {
		return nil
	}
	switch {
	case o.Data == "":
		return usagef("--keep-float auto needs --data: it measures each layer on held-out training images")
	case o.Holdout == 0 && o.HoldoutData == "":
		return usagef("--keep-float auto needs held-out images: --holdout 0 leaves none")
	case !o.Gate.changed("max-drop"):
		return usagef("--keep-float auto needs --max-drop, the accuracy budget it keeps layers float for")
	}
	return nil
}

// CompressSummary is the last line of the main command's --json log.
type CompressSummary struct {
	Event       string  `json:"event"` // "summary"
	Input       string  `json:"input"`
	Output      string  `json:"output"`
	SourceBytes int64   `json:"source_bytes"`
	OutputBytes int64   `json:"output_bytes"`
	SizeRatio   float64 `json:"size_ratio"`
	Binarized   int     `json:"binarized_layers"`
	KeptFloat   int     `json:"float_layers"`
	// Layers is the plan: per layer binary or float and why, its bytes
	// both ways and, with --keep-float auto, its measured sensitivity.
	Layers        []ir.LayerRecord `json:"layers"`
	KeepFloatAuto *AutoReport      `json:"keep_float_auto,omitempty"`
	FineTuned     bool             `json:"fine_tuned"`
	// Held-out accuracy of the source model, right after binarizing (BN
	// statistics of the float model), after BN re-estimation and of the
	// snapshot kept; absent without fine-tuning data.
	FloatHoldoutAccuracy *float64              `json:"float_holdout_accuracy,omitempty"`
	BinarizedAccuracy    *float64              `json:"binarized_accuracy,omitempty"`
	ReestimatedAccuracy  *float64              `json:"reestimated_accuracy,omitempty"`
	FinetunedAccuracy    *float64              `json:"finetuned_accuracy,omitempty"`
	TrainSeconds         float64               `json:"train_seconds,omitempty"`
	Holdout              *finetune.HoldoutInfo `json:"holdout,omitempty"`
	Cycles               []float64             `json:"cycles,omitempty"`
	Snapshots            []finetune.Snapshot   `json:"snapshots,omitempty"`
	Epochs               []finetune.EpochStats `json:"epochs,omitempty"`
	Memory               *finetune.Memory      `json:"memory,omitempty"`
	Curves               []string              `json:"curves,omitempty"`
	Verify               *verify.Report        `json:"verify,omitempty"`
	Unverified           bool                  `json:"unverified"`
}

func runCompress(ctx context.Context, o *CompressOptions, streams IO) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var f files
	o.declare(&f)
	if err := f.stage(); err != nil {
		return err
	}
	defer f.discard()
	log := newLogger(streams, o.Quiet, o.JSON)
	o.Gate.warn(log)
	src, source, mio, prep, data, err := o.open(log, &f)
	if err != nil {
		return err
	}
	planned, err := o.plan(src, log)
	if err != nil {
		return err
	}
	tr, err := o.train(ctx, planned, data, prep, log)
	if err != nil {
		return err
	}
	if tr.res != nil {
		// From here, not from verification on: binarizing and packing
		// copy the weights, and with the limit lifted the collector let
		// their garbage pile up past the plan (a wide ResNet-50 at 64×64
		// peaked 5 % above it as it packed: 2,303 MiB against 2,190).
		defer tr.res.Memory.KeepWithinPlan(o.Train.ExactBackward)()
	}
	packing()
	bnn, rep, err := o.binarizeAndPack(tr.model, &prep, data.labels(), provenance{source, o.Train.Seed})
	if err != nil {
		return err
	}
	if tr.model = nil; tr.res != nil {
		tr.res.Model = nil // packed: the float weights need not outlive it through verification
	}
	log.history = historyOf(tr.res)
	log.history.store(bnn)
	sum := newSummary(o, source, rep, tr)
	gateErr := o.verifyInto(ctx, bnn, src, data.eval, prep, mio, sum, log)
	if gateErr != nil && gateErr != ErrGate {
		return gateErr
	}
	if tr.auto != nil && !tr.auto.Reached {
		gateErr = errAutoMissed
	}
	if err := o.writeOutputs(&f, bnn, sum, log); err != nil {
		return err
	}
	if err := f.commit(); err != nil {
		return err
	}
	return o.finish(sum, log, streams, gateErr)
}

// packing runs as the trained model is about to be binarized and packed
// (a hook for the tests, which read the memory limit there).
var packing = func() {}

func newSummary(o *CompressOptions, source onnx.Source, rep *convert.Report, tr *trained) *CompressSummary {
	tuned := tr.res
	sum := &CompressSummary{Event: "summary", Input: o.In, Output: o.Out, SourceBytes: source.Bytes, FineTuned: tuned != nil && len(tuned.Epochs) > 0, // --calib and --epochs 0 only re-estimate BN
		Binarized: rep.Binarized(), KeptFloat: len(rep.Layers) - rep.Binarized(), Layers: rep.Layers, KeepFloatAuto: tr.auto}
	if tuned != nil {
		sum.Epochs, sum.Memory = tuned.Epochs, &tuned.Memory
		sum.Holdout, sum.Cycles, sum.Snapshots = &tr.holdout, tuned.Cycles, tuned.Snapshots
		sum.FloatHoldoutAccuracy = finite(tuned.ValFloat)
		sum.BinarizedAccuracy = finite(tuned.ValBinarized)
		sum.ReestimatedAccuracy = finite(tuned.ValReestimated)
		sum.FinetunedAccuracy = finite(tuned.ValFinal)
		for _, e := range tuned.Epochs {
			sum.TrainSeconds += e.Seconds
		}
	}
	return sum
}

// open reads the source model and the data sets and checks that they fit:
// the graph is well formed and its shapes stay within the element limit,
// the binarization plan applies (--keep-float names real layers; the plan
// itself is made again, logged, by plan), and the data matches the input.
func (o *CompressOptions) open(log *logger, f *files) (*ir.Model, onnx.Source, modelIO, dataset.Preprocess, *compressData, error) {
	var prep dataset.Preprocess
	src, source, err := importModel(o.In, o.Prep.inputSize(), o.MaxElements, f, o.stages()...)
	if err != nil {
		return nil, source, modelIO{}, prep, nil, err
	}
	mio, _, err := checkModel(o.In, src, infer.Options{MaxElements: o.MaxElements})
	if err != nil {
		return nil, source, mio, prep, nil, err
	}
	if _, err := o.plan(src, nil); err != nil {
		return nil, source, mio, prep, nil, err
	}
	if prep, err = o.Prep.preprocess(mio); err != nil {
		return nil, source, mio, prep, nil, err
	}
	data, err := o.openAll(prep, mio, log, f)
	if err != nil {
		return nil, source, mio, prep, nil, err
	}
	if data.eval == nil && (o.Gate.set() || o.Report != "") {
		return nil, source, mio, prep, nil, usagef("--max-drop, --min-accuracy and --report need data to verify on: %s has no test split; give --val", o.trainPath())
	}
	if data.train != nil && !o.Prep.normalizes() {
		log.warnf("no --mean/--std: %s is fed pixels scaled to [0,1] without normalization; give the normalization %s was trained with", o.In, o.In)
	}
	warnLimitClasses(log, o.Prep.Limit, data.train, data.eval, data.held)
	return src, source, mio, prep, data, nil
}

// compressData is the data a run uses, each set opened once: train for
// fine-tuning or BN re-estimation, eval for verification (--val, else the
// test split of --data or --calib; nil when there is none) and held, the
// held-out data of --holdout-data (nil: a slice of train is held out).
type compressData struct {
	train, eval, held dataset.Dataset
	classes           int // the model's outputs
}

func (o *CompressOptions) openAll(prep dataset.Preprocess, mio modelIO, log *logger, f *files) (*compressData, error) {
	d := &compressData{classes: mio.Classes}
	if path := o.trainPath(); path != "" {
		splits, err := openData(path, prep, mio, o.Prep, nil, false, log, f)
		if err != nil {
			return nil, err
		}
		if d.train, err = splits.Training(); err != nil {
			return nil, err
		}
		d.eval = splits.Test
	}
	if o.Val != "" {
		var trained []string // --val is numbered by the training split's names
		if d.train != nil {
			trained = d.train.Info().ClassNames
		}
		splits, err := openData(o.Val, prep, mio, o.Prep, trained, true, log, f) // only its Eval is used
		if err != nil {
			return nil, err
		}
		d.eval = splits.Eval()
	}
	if o.HoldoutData != "" {
		splits, err := openData(o.HoldoutData, prep, mio, o.Prep, d.train.Info().ClassNames, true, log, f) // validate: --data is given; only its Eval is used
		if err != nil {
			return nil, err
		}
		d.held = splits.Eval()
	}
	return d, nil
}

// trainPath is --data or --calib (validate makes them exclusive).
func (o *CompressOptions) trainPath() string {
	if o.Data != "" {
		return o.Data
	}
	return o.Calib
}

// labels is the class names as the JSON array .bnn metadata keeps, or nil:
// the training split's, which number the outputs, else the eval split's;
// only a list that names every output. A folder of fewer classes (a
// calibration subset) names some outputs only, and recorded, its list
// would refuse every later data set with the classes it lacks.
func (d *compressData) labels() []byte {
	for _, ds := range []dataset.Dataset{d.train, d.eval} {
		if ds == nil {
			continue
		}
		if names := ds.Info().ClassNames; len(names) > 0 && len(names) == d.classes {
			b, _ := json.Marshal(names)
			return b
		}
	}
	return nil
}

// keepFloatUsage is a --keep-float that names no layer as a usage error
// (nil for any other error: the caller's to report).
func keepFloatUsage(err error) error {
	var k *convert.KeepFloatError
	if errors.As(err, &k) {
		return usagef("--keep-float: %v (bincompress inspect MODEL lists them)", k)
	}
	return nil
}

// plan decides once, on a copy of the source, which layers are binary
// (convert's plan passes, recorded in the copy's metadata); the trainer
// trains exactly that plan and binarizeAndPack finishes it. Its notes go
// to log unless log is nil (open's check before any work).
func (o *CompressOptions) plan(src *ir.Model, log *logger) (*ir.Model, error) {
	m := src.Clone()
	rep, err := convert.PlanPipeline().Run(m, o.convertOptions())
	if err := keepFloatUsage(err); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.In, err)
	}
	for _, n := range rep.Notes {
		if log != nil {
			log.printf("%s", n)
		}
	}
	return m, nil
}

// selectDevice applies --device: the GPU to fine-tune on (for cuda, or
// for auto when one is usable; said in one line), or nil for the CPU. The
// caller closes the device.
func (o *CompressOptions) selectDevice(m *ir.Model, log *logger) (*gpu.Device, error) {
	dev, err := gpu.Select(o.Device, log.printf)
	if errors.Is(err, gpu.ErrDeviceFlag) {
		return nil, usageError{err}
	}
	if err != nil || dev == nil {
		return nil, err
	}
	if err := finetune.CheckDevice(m); err != nil { // an op without GPU code
		dev.Close()
		if o.Device == "cuda" {
			return nil, err
		}
		log.printf("device auto: using the CPU (%v)", err)
		return nil, nil
	}
	log.printf("device %s: fine-tuning on the GPU, %s", o.Device, dev)
	return dev, nil
}

// binarizeAndPack binarizes the planned model m as its plan says
// (convert.FinishPipeline) and packs the result, recording the run's
// provenance, the preprocessing and the labels in the metadata first, so
// that the digest covers them.
// prep is nil when the preprocessing is unknown (pack of a checkpoint);
// labels is nil when the data names no classes.
func (o *CompressOptions) binarizeAndPack(m *ir.Model, prep *dataset.Preprocess, labels []byte, prov provenance) (*ir.Model, *convert.Report, error) {
	rep, err := convert.FinishPipeline().Run(m, o.convertOptions())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", o.In, err)
	}
	prov.record(m)
	if prep != nil {
		m.SetMetadata(pack.KeyPreprocess, prep.Marshal())
	}
	if labels != nil {
		m.SetMetadata(pack.KeyLabels, string(labels))
	}
	bnn, err := pack.Pack(m)
	if err != nil {
		return nil, nil, err
	}
	return bnn, rep, nil
}

// verifyInto evaluates the .bnn against the source on the evaluation data
// when there is any, stores the report in the .bnn and the summary, and
// returns ErrGate when a threshold was crossed.
func (o *CompressOptions) verifyInto(ctx context.Context, bnn, src *ir.Model, eval dataset.Dataset, prep dataset.Preprocess, mio modelIO, sum *CompressSummary, log *logger) error {
	if eval == nil {
		sum.Unverified = true
		return nil
	}
	rep, err := evaluate(ctx, bnn, src, eval, prep, mio, infer.Options{MaxElements: o.MaxElements}, log)
	if err != nil {
		return err
	}
	if err := rep.ApplyGate(o.Gate.gate()); err != nil {
		return usageError{err}
	}
	rep.Model = modelInfo(filepath.Base(o.Out), bnn, nil, prep) // not the path as typed: the .bnn's bytes would depend on it
	raw, _ := json.Marshal(rep.Stored())
	bnn.SetMetadata(pack.KeyVerify, string(raw))
	sum.Verify = rep
	if err := log.writeResult(func(w io.Writer) error { return verify.WriteTable(w, rep) }); err != nil {
		return err
	}
	if !rep.Passed {
		return ErrGate
	}
	return nil
}

// finite returns nil for NaN (not measured).
func finite(x float64) *float64 {
	if math.IsNaN(x) {
		return nil
	}
	return &x
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
