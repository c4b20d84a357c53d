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
	"strconv"

	"github.com/spf13/pflag"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/finetune"
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
	JSON  bool
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
	fs.IntVar(&t.BatchSize, "batch-size", t.BatchSize, "images per batch")
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
	fs.BoolVar(&o.JSON, "json", false, "print a JSON summary (with the verify report) on stdout")
}

func (o *CompressOptions) validate() error {
	if o.Calib != "" && o.Data != "" {
		return usagef("--calib and --data exclude each other: fine-tuning re-estimates BatchNormalization itself")
	}
	if _, err := convert.ParseScaleMode(o.Scale); err != nil {
		return usageError{err}
	}
	return o.Gate.validate()
}

// CompressSummary is the JSON output of the main command.
type CompressSummary struct {
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
	src, err := onnx.ReadFile(o.In)
	if err != nil {
		return err
	}
	mio, err := classifierIO(src)
	if err != nil {
		return fmt.Errorf("%s: %w", o.In, err)
	}
	prep, err := o.Prep.preprocess(mio.Shape.C)
	if err != nil {
		return err
	}
	log := newLogger(streams)
	work, tuned, err := o.train(ctx, src, prep, mio, log)
	if err != nil {
		return err
	}
	bnn, rep, err := o.binarizeAndPack(work, &prep, srcBytes)
	if err != nil {
		return err
	}
	sum := &CompressSummary{Input: o.In, Output: o.Out, SourceBytes: int64(len(srcBytes)), FineTuned: tuned != nil,
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
	gateErr := o.verifyInto(ctx, bnn, src, prep, mio, sum, log)
	if gateErr != nil && gateErr != ErrGate {
		return gateErr
	}
	if err := onnx.WriteFile(o.Out, bnn); err != nil {
		return err
	}
	if fi, err := os.Stat(o.Out); err == nil {
		sum.OutputBytes = fi.Size()
		sum.SizeRatio = float64(sum.OutputBytes) / float64(sum.SourceBytes)
	}
	log.printf("wrote %s: %d bytes, %.1fx smaller than %s; %d layers binarized, %d kept float",
		o.Out, sum.OutputBytes, 1/sum.SizeRatio, o.In, sum.Binarized, sum.KeptFloat)
	if sum.Unverified {
		log.printf("accuracy is UNVERIFIED: pass --data DIR to fine-tune and verify (or --val DIR to verify only); see `bincompress --help`")
	}
	if o.JSON {
		if err := writeJSON(streams.Out, sum); err != nil {
			return err
		}
	}
	return gateErr
}

// train fine-tunes (with --data) or re-estimates BN (with --calib); with
// neither it returns the source model unchanged.
func (o *CompressOptions) train(ctx context.Context, src *ir.Model, prep dataset.Preprocess, mio modelIO, log *logger) (*ir.Model, *finetune.Result, error) {
	path, cfg := o.Data, o.Train
	if path == "" && o.Calib == "" {
		return src.Clone(), nil, nil
	}
	if path == "" {
		path, cfg.Epochs, cfg.BNBatches = o.Calib, 0, o.CalibBatches
	}
	if err := o.selectDevice(log); err != nil {
		return nil, nil, err
	}
	cfg.Scale = finetune.ScaleMode(o.Scale)
	cfg.KeepFloat = convert.SplitList(o.KeepFloat)
	splits, err := openData(path, prep, mio, o.Prep.Limit)
	if err != nil {
		return nil, nil, err
	}
	trainDS, err := splits.Training()
	if err != nil {
		return nil, nil, err
	}
	var val finetune.Source
	if splits.Test != nil {
		val = &sourceAdapter{ds: splits.Test, prep: prep, shape: mio.Shape}
	}
	res, err := finetune.Train(ctx, src.Clone(), &sourceAdapter{ds: trainDS, prep: prep, shape: mio.Shape}, val, cfg, log.trainEvent)
	if err != nil {
		return nil, nil, err
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

// verifyInto evaluates the .bnn against the source on the validation data
// when there is any, stores the report in the .bnn and the summary, and
// returns ErrGate when a threshold was crossed.
func (o *CompressOptions) verifyInto(ctx context.Context, bnn, src *ir.Model, prep dataset.Preprocess, mio modelIO, sum *CompressSummary, log *logger) error {
	path := o.Val
	for _, p := range []string{o.Data, o.Calib} {
		if path == "" {
			path = p
		}
	}
	if path == "" {
		sum.Unverified = true
		if o.Gate.set() {
			return usagef("--max-drop and --min-accuracy need data to verify on: give --data or --val")
		}
		return nil
	}
	splits, err := openData(path, prep, mio, o.Prep.Limit)
	if err != nil {
		return err
	}
	rep, err := evaluate(ctx, bnn, src, splits.Eval(), prep, mio)
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
