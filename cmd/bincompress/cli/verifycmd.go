package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/dataset"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
	"github.com/bincompress/bincompress/verify"
)

// VerifyOptions are the inputs of `bincompress verify`.
type VerifyOptions struct {
	Model       string
	Data        string
	Ref         string
	Report      string
	JSON        bool
	Batch       int
	Int8        bool
	MaxElements int
	Quiet       bool
	Prep        PrepFlags
	Gate        GateFlags
}

func newVerifyCmd(streams IO) *cobra.Command {
	opts := &VerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify MODEL --data DIR [--ref SOURCE.onnx] [--max-drop X] [--min-accuracy Y]",
		Short: "Measure a model's accuracy, against its source model, and gate on it",
		Long: "Evaluates top-1 and top-5 accuracy, per-class accuracy and the confusion matrix on\n" +
			"the data's test split (or the whole set when it has no split). With --ref it also\n" +
			"evaluates the source model: the drop, the agreement rate and the logit differences.\n" +
			"Preprocessing comes from the .bnn metadata: flags may repeat it but not change it\n" +
			"(exit 2), only add a --resize or --center-crop it lacks; a model without a record\n" +
			"takes the flags. The table goes\n" +
			"to stdout (stderr with --json, which puts the JSON report on stdout). Without\n" +
			"--max-drop or --min-accuracy nothing is judged: the verdict is NO GATE SET.\n\n" +
			"Exit codes: 0 passed (or no gate set), 3 gate failed, 1 error, 2 usage error.",
		Example: "  # A float model alone: its accuracy, exit 3 below 5%\n" +
			"  bincompress verify testdata/models/fmnist_tiny.onnx --data testdata/data/fmnist-mini --mean 0.2860 --std 0.3530 --min-accuracy 0.05\n\n" +
			"  # A .bnn against its source model: exit 3 on a drop over 5 points (as tiny.bnn of\n" +
			"  # `bincompress --help`, binarized without fine-tuning, drops)\n" +
			"  bincompress verify tiny.bnn --data testdata/data/fmnist-mini --ref testdata/models/fmnist_tiny.onnx --max-drop 0.05 --json --report verify.html > verify.json",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Model, opts.Quiet = args[0], quiet(cmd)
			if err := opts.validate(); err != nil {
				return err
			}
			return runVerify(cmd.Context(), opts, streams)
		},
	}
	fs := cmd.Flags()
	pathFlag(fs, &opts.Data, "data", "labelled data set to evaluate on (required)")
	pathFlag(fs, &opts.Ref, "ref", "the source ONNX model to compare against")
	pathFlag(fs, &opts.Report, "report", "write a self-contained HTML report to this file")
	fs.BoolVar(&opts.JSON, "json", false, "print the report as JSON on stdout")
	fs.IntVar(&opts.Batch, "batch-size", 100, "images per batch")
	fs.BoolVar(&opts.Int8, "int8-activations", false, "run the binary convolutions with 8-bit activations (quantized per tensor at run time): faster, slightly less exact")
	maxElementsFlag(fs, &opts.MaxElements)
	opts.Prep.register(fs)
	opts.Gate.register(fs)
	return cmd
}

func (o *VerifyOptions) validate() error {
	if o.Data == "" {
		return usagef("verify: --data is required")
	}
	if o.Gate.changed("max-drop") && o.Ref == "" {
		return usagef("verify: --max-drop needs the source model to compare against: give --ref")
	}
	return firstErr(o.Gate.validate(), o.Prep.validate(), checkRange("batch-size", o.Batch, 1, 1<<20), checkMaxElements(o.MaxElements))
}

func runVerify(ctx context.Context, o *VerifyOptions, streams IO) error {
	var f files
	f.input("MODEL", o.Model)
	f.input("--ref", o.Ref)
	f.input("--data", o.Data)
	f.output("--report", o.Report)
	if err := f.stage(); err != nil {
		return err
	}
	defer f.discard()
	log := newLogger(streams, o.Quiet, o.JSON)
	o.Gate.warn(log)
	opts := infer.Options{Int8Activations: o.Int8, MaxElements: o.MaxElements}
	m, src, err := loadModelSized(o.Model, o.Prep.inputSize(), &f)
	if err != nil {
		return err
	}
	mio, _, err := checkModel(o.Model, m, opts)
	if err != nil {
		return err
	}
	prep, err := o.preprocess(m, mio, log)
	if err != nil {
		return err
	}
	ref, err := o.reference(m, mio, &f)
	if err != nil {
		return err
	}
	splits, err := openData(o.Data, prep, mio, o.Prep, modelLabels(m), true, log, &f)
	if err != nil {
		return err
	}
	if splits.Test == nil && looksLikeTraining(splits.Train.Info().Name) {
		log.warnf("%s is a training split and the data has no test split: verifying on the images a model is fine-tuned on inflates its accuracy and shrinks its drop; give the test split", splits.Train.Info().Name)
	}
	warnLimitClasses(log, o.Prep.Limit, splits.Eval())
	rep, err := evaluateBatch(ctx, m, ref, splits.Eval(), prep, mio, opts, o.Batch, log)
	if err != nil {
		return err
	}
	if err := rep.ApplyGate(o.Gate.gate()); err != nil {
		return usageError{err}
	}
	rep.Model = modelInfo(o.Model, m, &src, prep)
	layers, _ := m.LayerRecords() // a .bnn's plan, for the report; none for a float model
	hist, err := loadHistory(m)
	if err != nil && o.Report != "" {
		log.warnf("%s: the report leaves out the training curve: %v", o.Model, err)
	}
	if err := o.writeOutputs(&f, rep, hist, layers, log, streams); err != nil {
		return err
	}
	if !rep.Passed {
		return ErrGate
	}
	return nil
}

// reference loads --ref and checks it takes and gives what the model does.
// A reference exported for any height and width is fixed to the size the
// model takes (a .bnn's recorded preprocessing gives it, not only flags).
// A model that records its source (a .bnn, finetune --out) must be compared
// with that source: --max-drop against another model, a weaker one, would
// pass a gate the real source fails.
func (o *VerifyOptions) reference(m *ir.Model, mio modelIO, f *files) (*ir.Model, error) {
	if o.Ref == "" {
		return nil, nil
	}
	ref, src, err := loadModelSized(o.Ref, []int{mio.Shape.H, mio.Shape.W}, f)
	if err != nil {
		return nil, err
	}
	// A derived --ref is a usage error whatever MODEL records, so it is
	// refused before the source check, which would call it another model.
	if _, derived, _ := recordedProvenance(ref); derived || isArtifact(ref) {
		return nil, usagef("verify: --ref %s is a compressed or fine-tuned model (it records a source): the reference is the source ONNX model, and MODEL the one judged against it; are MODEL and --ref swapped?", o.Ref)
	}
	if err := checkRefSource(o.Model, m, o.Ref, src); err != nil {
		return nil, err
	}
	rio, _, err := checkModel(o.Ref, ref, infer.Options{MaxElements: o.MaxElements})
	if err != nil {
		return nil, err
	}
	if rio.Shape != mio.Shape || rio.Layout != mio.Layout || rio.Classes != mio.Classes {
		// the layout too: two models taking 3x32x32, one [N,C,H,W] and one
		// [N,H,W,C], were refused with the same shape named twice
		return nil, fmt.Errorf("verify: reference %s takes %v %s and gives %d classes, but %s takes %v %s and gives %d",
			o.Ref, rio.Shape, rio.Layout, rio.Classes, o.Model, mio.Shape, mio.Layout, mio.Classes)
	}
	return ref, nil
}

// looksLikeTraining reports whether a split's name (its folder or file)
// says it is training data: train/, train-images-idx3-ubyte, x_train.npy,
// CIFAR's data_batch_1.bin or train.bin.
func looksLikeTraining(name string) bool {
	base := strings.ToLower(filepath.Base(name))
	for _, p := range []string{"train", "x_train", "data_batch"} {
		if strings.HasPrefix(base, p) {
			return true
		}
	}
	return false
}

// checkRefSource refuses a reference whose file is not the source model
// records (its SHA-256 and size); a model that records none passes.
func checkRefSource(model string, m *ir.Model, refPath string, ref onnx.Source) error {
	p, ok, err := recordedProvenance(m)
	if err != nil {
		return fmt.Errorf("verify: %s: %w", model, err)
	}
	if !ok || (p.source.SHA256 == ref.SHA256 && p.source.Bytes == ref.Bytes) {
		return nil
	}
	return fmt.Errorf("verify: --ref %s is not the source model of %s: its SHA-256 is %x (%d bytes), the recorded source's (%s) %x (%d bytes); a drop measured against another model is meaningless",
		refPath, model, ref.SHA256, ref.Bytes, pack.KeySourceSHA256, p.source.SHA256, p.source.Bytes)
}

// preprocess takes the .bnn's recorded preprocessing, which flags may
// repeat but not change (checkRecorded), else the flags alone; a model with
// neither a record nor --mean/--std gets a warning, since its pixels then
// go in unnormalized.
func (o *VerifyOptions) preprocess(m *ir.Model, mio modelIO, log *logger) (dataset.Preprocess, error) {
	if v, ok := m.MetadataValue(pack.KeyPreprocess); ok {
		rec, err := dataset.ParsePreprocess(v)
		if err != nil {
			return rec, fmt.Errorf("%s: metadata %s: %w", o.Model, pack.KeyPreprocess, err)
		}
		given, err := o.Prep.over(rec, mio)
		if err != nil {
			return given, err
		}
		return given, o.checkRecorded(rec, given, log)
	}
	if !o.Prep.normalizes() {
		log.warnf("%s records no preprocessing and no --mean/--std was given: images go in as pixels in [0,1], unnormalized; give the normalization the model was trained with", o.Model)
	}
	return o.Prep.preprocess(mio)
}

// checkRecorded refuses flags that change a step of the preprocessing the
// model records (exit 2): the model and its reference would both be scored
// on inputs the model was not trained on, and the drop between two wrongly
// fed models is no measure of the compression (--mean 0 --std 1 on a .bnn
// trained normalized passed a --max-drop its recorded preprocessing fails).
// A resize or crop the record lacks may be added, for images of another
// size, with a warning.
func (o *VerifyOptions) checkRecorded(rec, given dataset.Preprocess, log *logger) error {
	type step struct {
		flag      string
		set, same bool
		added     bool // a geometric step the record lacks
	}
	steps := []step{
		{"--mean", o.Prep.Mean != "", slices.Equal(rec.Mean, given.Mean), false},
		{"--std", o.Prep.Std != "", slices.Equal(rec.Std, given.Std), false},
		{"--channel-order", o.Prep.ChannelOrder != "", cmp.Or(rec.ChannelOrder, "RGB") == cmp.Or(given.ChannelOrder, "RGB"), false},
		{"--resize", o.Prep.Resize != "", slices.Equal(rec.Resize, given.Resize) && rec.Antialias == given.Antialias, len(rec.Resize) == 0},
		{"--center-crop", o.Prep.CenterCrop != "", slices.Equal(rec.CenterCrop, given.CenterCrop), len(rec.CenterCrop) == 0},
	}
	for _, s := range steps {
		switch {
		case !s.set || s.same:
		case s.added:
			log.warnf("%s records no %s step; %s adds one: the model was not trained on inputs made so", o.Model, strings.TrimPrefix(s.flag, "--"), s.flag)
		default:
			return usagef("verify: %s changes the preprocessing %s records (%s), which its accuracy and any gate would then not measure; leave the flag out (the record is %s)",
				s.flag, o.Model, pack.KeyPreprocess, rec.Marshal())
		}
	}
	return nil
}

func (o *VerifyOptions) writeOutputs(f *files, rep *verify.Report, h *history, layers []ir.LayerRecord, log *logger, streams IO) error {
	if err := log.writeResult(func(w io.Writer) error { return verify.WriteTable(w, rep) }); err != nil {
		return err
	}
	if o.Report != "" {
		var images []verify.Image
		if h != nil {
			var err error
			if images, err = h.images(); err != nil {
				return err
			}
		}
		err := f.out(o.Report).Write(func(w io.Writer) error {
			return verify.WriteHTML(w, "bincompress verify: "+o.Model, rep, images, layers)
		})
		if err != nil {
			return err
		}
	}
	if err := f.commit(); err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(streams.Out, rep)
	}
	return nil
}

// evaluate runs the model (and the reference, when given) over ds,
// showing progress, in batches of at most 100 whose largest activation
// stays within evalElements: verification after training must not need
// more memory than the (compressed) training before it, and the executor's
// memory follows its largest tensors (ResNet-18 at 224×224: 5 images).
// opts apply to the model, not the reference.
func evaluate(ctx context.Context, m, ref *ir.Model, ds dataset.Dataset, prep dataset.Preprocess, mio modelIO, opts infer.Options, log *logger) (*verify.Report, error) {
	return evaluateBatch(ctx, m, ref, ds, prep, mio, opts, 0, log)
}

// evalElements bounds the largest activation of an automatic verification
// batch: 4 Mi elements, 16 MiB of float32.
const evalElements = 1 << 22

// evaluateBatch is evaluate in batches of batch images (0: sized by
// evalElements).
func evaluateBatch(ctx context.Context, m, ref *ir.Model, ds dataset.Dataset, prep dataset.Preprocess, mio modelIO, opts infer.Options, batch int, log *logger) (*verify.Report, error) {
	model, prog, err := classifier(m, mio, opts)
	if err != nil {
		return nil, err
	}
	if batch <= 0 {
		batch = prog.BatchWithin(evalElements, 100)
	}
	vopts := verify.Options{Classes: mio.Classes, ClassNames: ds.Info().ClassNames}
	if ref != nil {
		if vopts.Reference, _, err = classifier(ref, mio, infer.Options{MaxElements: opts.MaxElements}); err != nil {
			return nil, err
		}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	p := log.progress("verification", ds.Len(), "images")
	return verify.Evaluate(ctx, model, evalBatches(ds, prep, batch, p), vopts)
}

// classifier compiles a model into a verify.Model.
func classifier(m *ir.Model, mio modelIO, opts infer.Options) (verify.Model, *infer.Program, error) {
	prog, err := infer.CompileWith(m, opts)
	if err != nil {
		return nil, nil, err
	}
	out := m.Graph.Outputs[0].Name
	return func(x []float32, shape []int) ([]float32, error) {
		res, err := prog.Run(map[string]*ir.Tensor{mio.Input: ir.NewFloat32(mio.Input, shape, x)})
		if err != nil {
			return nil, err
		}
		return res[out].Float32s()
	}, prog, nil
}
