package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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

	Train  finetune.Config
	Device string
	Gate   GateFlags
	JSON   bool
	Report string
}

func defaultCompressOptions() *CompressOptions {
	return &CompressOptions{Train: finetune.DefaultConfig()}
}

func (o *CompressOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.Scale, "scale", "channel", "scale s of s*sign(W): he (sqrt(2/fan_in) per layer), channel (mean|W| per output channel) or layer (mean|W| per layer)")
	fs.StringVar(&o.KeepFloat, "keep-float", "", "layers to keep in float: first, last and/or node names, comma-separated")
	fs.BoolVar(&o.AllowEmpty, "allow-empty", false, "write a .bnn even when no layer can be binarized")
	fs.StringVar(&o.Data, "data", "", "fine-tune on this data set (IDX, CIFAR binary, image folder or x.npy/y.npy); its test split verifies")
	fs.StringVar(&o.Val, "val", "", "verify on this data set (default: the test split of --data)")
	fs.StringVar(&o.Calib, "calib", "", "without --data: re-estimate BatchNormalization statistics on this data after binarizing")
	fs.IntVar(&o.CalibBatches, "calib-batches", 50, "batches --calib averages over")
	o.Prep.register(fs)
	t := &o.Train
	fs.IntVar(&t.Epochs, "epochs", t.Epochs, "fine-tuning epochs")
	fs.Var(batchSizeFlag{&t.BatchSize}, "batch-size", "images per batch, or auto: the largest batch whose planned memory fits --max-memory (the summary reports it: pass it explicitly to reproduce a run)")
	fs.Var(memoryFlag{&t.MaxMemory}, "max-memory", "plan the run's memory before training and fail (exit 1, naming the largest batch that fits) if its peak exceeds this size, e.g. 2GiB")
	fs.Uint64Var(&t.Seed, "seed", t.Seed, "seed of shuffling, augmentation and stochastic rounding: same seed, same .bnn")
	fs.BoolVar(&t.ExactBackward, "exact-backward", false, "save float activations for backward instead of 1-bit codes")
	fs.IntVar(&t.BNBits, "bn-bits", t.BNBits, "bits per element of BatchNormalization's saved input when compressing (1, 2, 4, 8)")
	fs.Float32Var(&t.Distill, "distill", 0, "weight of distillation from the source float model (0..1)")
	fs.Float32Var(&t.Temperature, "temperature", t.Temperature, "distillation temperature")
	fs.Float64Var(&t.Schedule.LRMax, "lr-max", t.Schedule.LRMax, "learning rate at the start of each cosine cycle")
	fs.Float64Var(&t.Schedule.LRMin, "lr-min", t.Schedule.LRMin, "learning rate at the end of each cosine cycle")
	fs.Float64Var(&t.Schedule.T0, "t0", t.Schedule.T0, "epochs in the first cosine cycle")
	fs.Float64Var(&t.Schedule.TMult, "tmult", t.Schedule.TMult, "growth factor of each next cycle")
	fs.Float32Var(&t.Momentum, "momentum", t.Momentum, "SGD momentum")
	fs.BoolVar(&t.Nesterov, "nesterov", false, "Nesterov momentum")
	fs.Float32Var(&t.WeightDecay, "weight-decay", t.WeightDecay, "weight decay on conv and dense weights")
	fs.BoolVar(&t.ResetMomentum, "reset-momentum", false, "zero the momentum at each warm restart")
	fs.IntVar(&t.Augment.Pad, "pad", t.Augment.Pad, "augmentation: pad by this many pixels and crop back at random (0: off)")
	fs.BoolVar(&t.Augment.Flip, "flip", t.Augment.Flip, "augmentation: random horizontal flip")
	fs.StringVar(&o.Device, "device", "cpu", "where to fine-tune: cpu, cuda or auto (the GPU when one is usable, else the CPU); see docs/GPU.md")
	fs.StringVar(&t.CheckpointDir, "checkpoint", "", "save a checkpoint into this folder after every epoch")
	fs.BoolVar(&t.Resume, "resume", false, "continue from the checkpoint in --checkpoint")
	o.Gate.register(fs)
	fs.BoolVar(&o.JSON, "json", false, "print a JSON-lines log on stdout: one line per training event, the summary (with the verify report) last")
	fs.StringVar(&o.Report, "report", "", "write a self-contained HTML verify report (with the training curves) to this file")
}

func (o *CompressOptions) validate() error {
	if o.Calib != "" && o.Data != "" {
		return usagef("--calib and --data exclude each other: fine-tuning re-estimates BatchNormalization itself")
	}
	if _, err := convert.ParseScaleMode(o.Scale); err != nil {
		return usageError{err}
	}
	if o.Train.BatchSize == finetune.AutoBatch && o.Train.MaxMemory == 0 {
		return usagef("--batch-size auto needs --max-memory")
	}
	return o.Gate.validate()
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
	FineTuned   bool    `json:"fine_tuned"`
	// Validation accuracy right after binarizing (BN statistics of the
	// float model), after BN re-estimation and after fine-tuning; absent
	// without validation data.
	BinarizedAccuracy   *float64              `json:"binarized_accuracy,omitempty"`
	ReestimatedAccuracy *float64              `json:"reestimated_accuracy,omitempty"`
	FinetunedAccuracy   *float64              `json:"finetuned_accuracy,omitempty"`
	TrainSeconds        float64               `json:"train_seconds,omitempty"`
	Epochs              []finetune.EpochStats `json:"epochs,omitempty"`
	Memory              *finetune.Memory      `json:"memory,omitempty"`
	Verify              *verify.Report        `json:"verify,omitempty"`
	Unverified          bool                  `json:"unverified"`
}

func runCompress(ctx context.Context, o *CompressOptions, streams IO) error {
	if ctx == nil {
		ctx = context.Background()
	}
	srcBytes, err := readSource(o.In)
	if err != nil {
		return err
	}
	src, mio, prep, data, err := o.open()
	if err != nil {
		return err
	}
	log := newLogger(streams)
	if o.JSON {
		log.events = streams.Out
	}
	work, tuned, err := o.train(ctx, src, data, prep, mio, log)
	if err != nil {
		return err
	}
	bnn, rep, err := o.binarizeAndPack(work, &prep, srcBytes)
	if err != nil {
		return err
	}
	if tuned != nil {
		tuned.Model = nil // packed: the float weights need not outlive it through verification
	}
	if labels := data.labels(); labels != nil {
		bnn.SetMetadata(pack.KeyLabels, string(labels))
	}
	log.history.store(bnn)
	sum := newSummary(o, srcBytes, rep, tuned)
	gateErr := o.verifyInto(ctx, bnn, src, data.eval, prep, mio, sum, log)
	if gateErr != nil && gateErr != ErrGate {
		return gateErr
	}
	if err := onnx.WriteFile(o.Out, bnn); err != nil {
		return err
	}
	if err := o.writeExtras(bnn, sum, log); err != nil {
		return err
	}
	return o.finish(sum, log, streams, gateErr)
}

func newSummary(o *CompressOptions, srcBytes []byte, rep *convert.Report, tuned *finetune.Result) *CompressSummary {
	sum := &CompressSummary{Event: "summary", Input: o.In, Output: o.Out, SourceBytes: int64(len(srcBytes)), FineTuned: tuned != nil,
		Binarized: rep.Binarized(), KeptFloat: len(rep.Layers) - rep.Binarized()}
	if tuned != nil {
		sum.Epochs, sum.Memory = tuned.Epochs, &tuned.Memory
		sum.BinarizedAccuracy = finite(tuned.ValBinarized)
		sum.ReestimatedAccuracy = finite(tuned.ValReestimated)
		sum.FinetunedAccuracy = finite(tuned.ValFinal)
		for _, e := range tuned.Epochs {
			sum.TrainSeconds += e.Seconds
		}
	}
	return sum
}

// writeExtras writes the training-curve PNGs beside the output and the
// HTML report when asked for.
func (o *CompressOptions) writeExtras(bnn *ir.Model, sum *CompressSummary, log *logger) error {
	images, err := log.history.images()
	if err != nil {
		return err
	}
	base := strings.TrimSuffix(o.Out, filepath.Ext(o.Out))
	for _, im := range images {
		name := base + "." + curveFileStem[im.Title] + ".png"
		if err := writeFileAtomic(name, func(f *os.File) error { _, err := f.Write(im.PNG); return err }); err != nil {
			return err
		}
		log.printf("wrote %s", name)
	}
	if o.Report == "" || sum.Verify == nil {
		return nil
	}
	return writeFileAtomic(o.Report, func(f *os.File) error {
		return verify.WriteHTML(f, "bincompress: "+o.Out, sum.Verify, images)
	})
}

// finish reports what was written and returns the gate's verdict.
func (o *CompressOptions) finish(sum *CompressSummary, log *logger, streams IO, gateErr error) error {
	if fi, err := os.Stat(o.Out); err == nil {
		sum.OutputBytes = fi.Size()
		sum.SizeRatio = float64(sum.OutputBytes) / float64(sum.SourceBytes)
	}
	log.printf("wrote %s: %d bytes, %.1fx smaller than %s; %d layers binarized, %d kept float",
		o.Out, sum.OutputBytes, 1/sum.SizeRatio, o.In, sum.Binarized, sum.KeptFloat)
	if sum.Unverified {
		log.printf("accuracy is UNVERIFIED: pass --data DIR to fine-tune and verify (or --val DIR to verify only); see `bincompress --help`")
	}
	if gateErr == ErrGate {
		log.printf("the accuracy gate FAILED (exit 3); %s holds the report (bincompress inspect)", o.Out)
	}
	if o.JSON {
		if err := json.NewEncoder(streams.Out).Encode(sum); err != nil {
			return err
		}
	}
	return gateErr
}

// open reads the source model and the data sets and checks that they fit.
func (o *CompressOptions) open() (*ir.Model, modelIO, dataset.Preprocess, *compressData, error) {
	var prep dataset.Preprocess
	src, err := onnx.ReadFile(o.In)
	if err != nil {
		return nil, modelIO{}, prep, nil, err
	}
	mio, err := classifierIO(src)
	if err != nil {
		return nil, mio, prep, nil, fmt.Errorf("%s: %w", o.In, err)
	}
	if prep, err = o.Prep.preprocess(mio.Shape.C); err != nil {
		return nil, mio, prep, nil, err
	}
	data, err := o.openAll(prep, mio)
	return src, mio, prep, data, err
}

// compressData is the data a run uses, each set opened once: train for
// fine-tuning or BN re-estimation, eval for validation and verification
// (--val, else the test split of --data or --calib; nil when there is none).
type compressData struct {
	train, eval dataset.Dataset
}

func (o *CompressOptions) openAll(prep dataset.Preprocess, mio modelIO) (*compressData, error) {
	d := &compressData{}
	if path := o.trainPath(); path != "" {
		splits, err := openData(path, prep, mio, o.Prep.Limit)
		if err != nil {
			return nil, err
		}
		if d.train, err = splits.Training(); err != nil {
			return nil, err
		}
		d.eval = splits.Test
	}
	if o.Val != "" {
		splits, err := openData(o.Val, prep, mio, o.Prep.Limit)
		if err != nil {
			return nil, err
		}
		d.eval = splits.Eval()
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

// labels is the class names as the JSON array .bnn metadata keeps, or nil.
func (d *compressData) labels() []byte {
	for _, ds := range []dataset.Dataset{d.eval, d.train} {
		if ds != nil && len(ds.Info().ClassNames) > 0 {
			b, _ := json.Marshal(ds.Info().ClassNames)
			return b
		}
	}
	return nil
}

// train fine-tunes (with --data) or re-estimates BN (with --calib); with
// neither it returns a copy of the source model.
func (o *CompressOptions) train(ctx context.Context, src *ir.Model, data *compressData, prep dataset.Preprocess, mio modelIO, log *logger) (*ir.Model, *finetune.Result, error) {
	if data.train == nil {
		return src.Clone(), nil, nil
	}
	cfg := o.Train
	if o.Calib != "" {
		cfg.Epochs, cfg.BNBatches = 0, o.CalibBatches
	}
	if err := o.selectDevice(log); err != nil {
		return nil, nil, err
	}
	cfg.Scale = finetune.ScaleMode(o.Scale)
	cfg.KeepFloat = convert.SplitList(o.KeepFloat)
	train, err := finetune.NewDatasetSource(data.train, prep)
	if err != nil {
		return nil, nil, err
	}
	cfg.Augment.Fill = train.Black() // pad with black, as torchvision pads before normalizing
	var val finetune.Source
	if data.eval != nil {
		if val, err = finetune.NewDatasetSource(data.eval, prep); err != nil {
			return nil, nil, err
		}
	}
	res, err := finetune.Train(ctx, src, train, val, cfg, log.trainEvent) // Train copies what it changes
	if err != nil {
		return nil, nil, err
	}
	if cfg.Epochs > 0 {
		log.printf("%s", memoryLine(res.Memory, cfg.ExactBackward))
	}
	return res.Model, res, nil
}

// selectDevice applies --device. The GPU backend (internal/gpu) loads CUDA
// and runs its kernels, but the trainer does not drive it yet, so a usable
// GPU is reported and fine-tuning stays on the CPU for auto, and is an error
// for an explicit cuda rather than a silent fallback.
func (o *CompressOptions) selectDevice(log *logger) error {
	dev, err := gpu.Select(o.Device, log.printf)
	if errors.Is(err, gpu.ErrDeviceFlag) {
		return usageError{err}
	}
	if err != nil || dev == nil {
		return err
	}
	defer dev.Close()
	if o.Device == "cuda" {
		return errors.New("--device cuda: a GPU is usable, but fine-tuning on it is not wired into the trainer yet (docs/GPU.md); use --device cpu or auto")
	}
	log.printf("device auto: a GPU is usable, but the trainer runs on the CPU in this version (docs/GPU.md)")
	return nil
}

// binarizeAndPack runs the convert passes and packs the result, recording
// the run's provenance in the metadata.
// prep is nil when the preprocessing is unknown (pack of a checkpoint).
func (o *CompressOptions) binarizeAndPack(m *ir.Model, prep *dataset.Preprocess, srcBytes []byte) (*ir.Model, *convert.Report, error) {
	rep, err := convert.Binarize(m, o.convertOptions())
	if err != nil {
		return nil, nil, err
	}
	bnn, err := pack.Pack(m)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(srcBytes)
	bnn.SetMetadata(pack.KeySourceSHA256, hex.EncodeToString(sum[:]))
	bnn.SetMetadata(pack.KeySourceBytes, strconv.Itoa(len(srcBytes)))
	bnn.SetMetadata(pack.KeySeed, strconv.FormatUint(o.Train.Seed, 10))
	if prep != nil {
		bnn.SetMetadata(pack.KeyPreprocess, prep.Marshal())
	}
	return bnn, rep, nil
}

// verifyInto evaluates the .bnn against the source on the evaluation data
// when there is any, stores the report in the .bnn and the summary, and
// returns ErrGate when a threshold was crossed.
func (o *CompressOptions) verifyInto(ctx context.Context, bnn, src *ir.Model, eval dataset.Dataset, prep dataset.Preprocess, mio modelIO, sum *CompressSummary, log *logger) error {
	if eval == nil {
		sum.Unverified = true
		if o.Gate.set() {
			return usagef("--max-drop and --min-accuracy need data to verify on: give --val, or --data with a test split")
		}
		return nil
	}
	rep, err := evaluate(ctx, bnn, src, eval, prep, mio, infer.Options{})
	if err != nil {
		return err
	}
	if err := rep.ApplyGate(o.Gate.gate()); err != nil {
		return usageError{err}
	}
	raw, _ := json.Marshal(rep)
	bnn.SetMetadata(pack.KeyVerify, string(raw))
	sum.Verify = rep
	if err := verify.WriteTable(log.w, rep); err != nil {
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

// readSource reads the source model's bytes for its SHA-256 and size.
func readSource(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, errors.Unwrap(err))
	}
	return b, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
