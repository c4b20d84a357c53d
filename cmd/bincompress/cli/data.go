package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/internal/dataset"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
	"github.com/bincompress/bincompress/verify"
)

// PrepFlags are the preprocessing flags shared by the commands that read
// data; they mirror torchvision's ToTensor + Normalize.
type PrepFlags struct {
	Mean, Std    string
	Resize       string
	Antialias    bool
	CenterCrop   string
	ChannelOrder string
	Limit        int
	MaxPixels    int
}

// inputSize is the height and width the images come out at when the flags
// fix it (dataset.Preprocess.FixedSize), before the model says its channels
// and layout; nil otherwise, or when the flags are bad (preprocess reports
// that once the model is read).
func (p *PrepFlags) inputSize() []int {
	prep, err := p.preprocess(modelIO{})
	if err != nil {
		return nil
	}
	if h, w, ok := prep.FixedSize(); ok {
		return []int{h, w}
	}
	return nil
}

func (p *PrepFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&p.Mean, "mean", "", "per-channel mean subtracted from pixels scaled to [0,1], e.g. 0.2860 or 0.485,0.456,0.406")
	fs.StringVar(&p.Std, "std", "", "per-channel std that pixels are divided by after the mean, e.g. 0.3530")
	fs.StringVar(&p.Resize, "resize", "", "resize images to H,W (or one size for both) before cropping")
	fs.BoolVar(&p.Antialias, "antialias", true, "with --resize: a shrink averages every source pixel an output pixel covers, as PIL and torchvision's Resize do (false: plain bilinear, as torch.nn.functional.interpolate)")
	fs.StringVar(&p.CenterCrop, "center-crop", "", "center-crop images to H,W (or one size for both; an image smaller than that is padded with black, as torchvision's CenterCrop); the input size of a model exported for any height and width")
	fs.StringVar(&p.ChannelOrder, "channel-order", "", "RGB (as stored) or BGR")
	fs.IntVar(&p.Limit, "limit", 0, "use only the first N images of each split, and read no further (0: all)")
	fs.IntVar(&p.MaxPixels, "max-image-pixels", dataset.DefaultMaxPixels, "refuse image files larger than this many pixels (width x height), from their header")
}

// validate checks the flags' syntax and ranges before a model says how many
// channels there are.
func (p *PrepFlags) validate() error {
	if o := strings.ToUpper(p.ChannelOrder); o != "" && o != "RGB" && o != "BGR" {
		return usagef("--channel-order %q: want RGB or BGR", p.ChannelOrder)
	}
	if _, err := p.preprocess(modelIO{}); err != nil {
		return err
	}
	return firstErr(checkRange("limit", p.Limit, 0, 1<<40), checkRange("max-image-pixels", p.MaxPixels, 1, 1<<40))
}

// normalizes reports whether --mean or --std was given.
func (p *PrepFlags) normalizes() bool { return p.Mean != "" || p.Std != "" }

// set reports whether any preprocessing flag was given.
func (p *PrepFlags) set() bool {
	return p.Mean != "" || p.Std != "" || p.Resize != "" || p.CenterCrop != "" || p.ChannelOrder != ""
}

// over is base with the steps the flags set replaced by theirs.
func (p *PrepFlags) over(base dataset.Preprocess, mio modelIO) (dataset.Preprocess, error) {
	f, err := p.preprocess(mio)
	if err != nil {
		return f, err
	}
	if p.Mean != "" {
		base.Mean = f.Mean
	}
	if p.Std != "" {
		base.Std = f.Std
	}
	if p.Resize != "" {
		base.Resize, base.Antialias = f.Resize, f.Antialias
	}
	if p.CenterCrop != "" {
		base.CenterCrop = f.CenterCrop
	}
	if p.ChannelOrder != "" {
		base.ChannelOrder = f.ChannelOrder
	}
	if err := base.Validate(); err != nil {
		return base, usagef("--mean, --std, --resize, --center-crop, --channel-order: %w", err)
	}
	return base, nil
}

// preprocess turns the flags into a dataset.Preprocess for the model's
// input: its channel count and layout.
func (p *PrepFlags) preprocess(mio modelIO) (dataset.Preprocess, error) {
	var out dataset.Preprocess
	var err error
	if out.Mean, err = parseFloats("--mean", p.Mean); err != nil {
		return out, err
	}
	if out.Std, err = parseFloats("--std", p.Std); err != nil {
		return out, err
	}
	if out.Resize, err = parseInts("--resize", p.Resize); err != nil {
		return out, err
	}
	out.Antialias = p.Antialias && len(out.Resize) > 0
	if out.CenterCrop, err = parseInts("--center-crop", p.CenterCrop); err != nil {
		return out, err
	}
	out.ChannelOrder = strings.ToUpper(p.ChannelOrder)
	out.Channels = mio.Shape.C
	if mio.Layout == dataset.NHWC {
		out.Layout = dataset.NHWC // NCHW stays implicit: the metadata of NCHW models is unchanged
	}
	if err := out.Validate(); err != nil {
		return out, usagef("--mean, --std, --resize, --center-crop, --channel-order: %w", err)
	}
	return out, nil
}

func parseFloats(flag, s string) ([]float32, error) {
	var out []float32
	for _, f := range convert.SplitList(s) {
		v, err := strconv.ParseFloat(f, 32)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, usagef("%s: %q is not a finite number", flag, f)
		}
		out = append(out, float32(v))
	}
	return out, nil
}

func parseInts(flag, s string) ([]int, error) {
	var out []int
	for _, f := range convert.SplitList(s) {
		v, err := strconv.Atoi(f)
		if err != nil || v <= 0 {
			return nil, usagef("%s: %q is not a positive size", flag, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// modelIO describes what a classifier takes and gives: its one data input
// (C, H, W, laid out NCHW or NHWC) and its number of classes.
type modelIO struct {
	Input   string
	Shape   dataset.Shape
	Layout  string
	Classes int
	// Batch is the input's batch dimension when the model fixes it (a
	// torch.onnx.export without dynamic_axes fixes it at the example's
	// batch); 0 when it is symbolic or unknown.
	Batch int
}

// checkBatched refuses a fixed batch: data runs through the model in
// batches of any size (openData; inspect reports the same refusal).
func (m modelIO) checkBatched() error {
	if m.Batch == 0 {
		return nil
	}
	return fmt.Errorf("input %q has a fixed batch of %d (%s), but data runs through the model in batches of any size: "+
		"export it with a symbolic batch (torch.onnx.export(..., dynamic_axes={%q: {0: \"batch\"}, ...}))", m.Input, m.Batch, fmt.Sprint(m.dims(m.Batch)), m.Input)
}

// dims is the input's shape for a batch of n, in its layout.
func (m modelIO) dims(n int) []int {
	if m.Layout == dataset.NHWC {
		return []int{n, m.Shape.H, m.Shape.W, m.Shape.C}
	}
	return []int{n, m.Shape.C, m.Shape.H, m.Shape.W}
}

// classifierInput reads the one image input's shape and layout from the
// graph (dataset.ImageDims's rule); the class count is classCount's.
func classifierInput(m *ir.Model) (modelIO, error) {
	ins := m.Graph.DataInputs()
	if len(ins) != 1 {
		return modelIO{}, fmt.Errorf("the model has %d data inputs; bincompress handles image classifiers with exactly one", len(ins))
	}
	in := ins[0]
	if err := checkInputType(in); err != nil {
		return modelIO{}, err
	}
	if in.Shape == nil {
		return modelIO{}, fmt.Errorf("input %q has no declared shape; want [N, C, H, W] or [N, H, W, C] with C, H and W fixed: export the model with its input's shape declared (torch.onnx.export declares its example input's)", in.Name)
	}
	if len(in.Shape) != 4 || !in.Shape[1].Known() || !in.Shape[2].Known() || !in.Shape[3].Known() {
		return modelIO{}, fmt.Errorf("input %q has shape %s; want [N, C, H, W] or [N, H, W, C] with C, H and W fixed (the main command, finetune and verify fix a model of any height and width to the size its images come out at: --center-crop H,W or --resize H,W; pack and bench take no size)", in.Name, ir.FormatDims(in.Shape))
	}
	shape, layout, err := dataset.ImageDims([]int{1, int(in.Shape[1].Size), int(in.Shape[2].Size), int(in.Shape[3].Size)})
	if err != nil {
		return modelIO{}, fmt.Errorf("input %q has shape %s: %w", in.Name, ir.FormatDims(in.Shape), err)
	}
	mio := modelIO{Input: in.Name, Shape: shape, Layout: layout}
	if in.Shape[0].Known() {
		mio.Batch = int(in.Shape[0].Size)
	}
	return mio, nil
}

// declaredShape says what shape a graph input or output declares: "shape
// [batch 3 224 224]", or "no declared shape" when it declares none (nil;
// ir.FormatDims writes [] for it, which reads as a scalar's).
func declaredShape(v *ir.ValueInfo) string {
	if v.Shape == nil {
		return "no declared shape"
	}
	return "shape " + ir.FormatDims(v.Shape)
}

// classCount is the number of classes of a classifier: K of its first
// output, [N, K] or [N, K, 1, ...] (a 1×1-convolution head), as the shape
// pass computed it (outputs, from infer.Program.CheckShapes). The declared
// shape, which may be symbolic, absent or simply wrong, is used only when
// the pass cannot tell, and must agree with it when both are known.
func classCount(m *ir.Model, outputs map[string][]int) (int, error) {
	if err := singleOutput(m, outputs); err != nil {
		return 0, err
	}
	out := m.Graph.Outputs[0]
	computed, ok := outputs[out.Name]
	if ok && len(computed) > 0 {
		computed = append([]int{1}, computed[1:]...) // for one image, whatever batch the pass ran at
	}
	if !ok && len(out.Shape) >= 2 {
		if declared, known := schema.Ints(out.Shape[1:]); known {
			computed, ok = append([]int{1}, declared...), true
		}
	}
	if !ok {
		return 0, fmt.Errorf("output %q has %s; cannot tell the number of classes", out.Name, declaredShape(out))
	}
	if out.Shape != nil && !declaredFits(out.Shape, computed) {
		return 0, fmt.Errorf("output %q is declared %s but computes %v for one image", out.Name, ir.FormatDims(out.Shape), computed)
	}
	if len(computed) < 2 || computed[1] < 1 || slices.ContainsFunc(computed[2:], func(d int) bool { return d != 1 }) {
		return 0, fmt.Errorf("output %q has shape %v for one image; a classifier's is [N, K] (or [N, K, 1, 1])", out.Name, computed)
	}
	return computed[1], nil
}

// singleOutput refuses a model without exactly one graph output. Which of
// several outputs holds the logits cannot be told (PyTorch's `return
// features, logits` exports the features first), and taking the first
// trained and verified on the features. The error names each output with
// the shape the shape pass computed for one image (outputs, at any batch;
// nil: none), else the declared one.
func singleOutput(m *ir.Model, outputs map[string][]int) error {
	g := m.Graph
	switch len(g.Outputs) {
	case 0:
		return fmt.Errorf("the model has no outputs")
	case 1:
		return nil
	}
	all := true // every shape computed: say "for one image" once
	for _, o := range g.Outputs {
		_, ok := outputs[o.Name]
		all = all && ok
	}
	parts := make([]string, len(g.Outputs))
	for i, o := range g.Outputs {
		switch s, ok := outputs[o.Name]; {
		case ok:
			if len(s) > 0 {
				s = append([]int{1}, s[1:]...)
			}
			parts[i] = fmt.Sprintf("%q %v", o.Name, s)
			if !all {
				parts[i] += " for one image"
			}
		case o.Shape == nil:
			parts[i] = fmt.Sprintf("%q with no declared shape", o.Name)
		default:
			parts[i] = fmt.Sprintf("%q declared %s", o.Name, ir.FormatDims(o.Shape))
		}
	}
	list := strings.Join(parts, ", ")
	if all {
		list += " for one image"
	}
	return fmt.Errorf("the model has %d outputs (%s); bincompress needs a model whose single output is the logits: re-export it returning only the logits (a forward that returns logits alone, not features and logits)",
		len(g.Outputs), list)
}

// declaredFits reports whether a declared shape agrees with a computed one:
// the same rank, and equal wherever the declaration is known (the batch
// aside).
func declaredFits(declared []ir.Dim, computed []int) bool {
	if len(declared) != len(computed) {
		return false
	}
	for i, d := range declared[1:] {
		if d.Known() && int(d.Size) != computed[i+1] {
			return false
		}
	}
	return true
}

// checkInputType refuses an input that is not float32. Images are fed as
// float32 pixels scaled to [0,1] (then --mean/--std): a uint8 input's Cast
// inside the graph would see them scaled twice, and a half-precision model
// (PyTorch's model.half()) has no float32 weight to binarize either, so
// both would fail late or train on the wrong scale, with no word of why.
func checkInputType(in *ir.ValueInfo) error {
	switch in.DType {
	case ir.Float32, ir.Undefined:
		return nil
	case ir.Float16, ir.BFloat16:
		return fmt.Errorf("input %q is %v: bincompress reads float32 models; export the model in float32 (model.float() before torch.onnx.export)", in.Name, in.DType)
	}
	return fmt.Errorf("input %q is %v; bincompress feeds images as float32: export the model with a float32 input (normalization may stay in the graph; pass no --mean/--std then)", in.Name, in.DType)
}

// openData opens a data set and checks it against the model: a named error
// when classes, shapes, layout or counts do not fit. --limit and
// --max-image-pixels bound what is read. classes (nil: none known) are the
// names the model's outputs are numbered by; an image folder that uses them
// is numbered by them (dataset.Options.Classes). Float pixels that look
// like bytes (dataset.FloatPixelsLikeBytes) are warned of on log. An
// output of f (nil: none) that is one of the data set's files is refused.
// evalOnly is dataset.Options.EvalOnly: a caller that evaluates only
// (verify) leaves a training split beside a test split unopened.
func openData(path string, prep dataset.Preprocess, mio modelIO, flags PrepFlags, classes []string, evalOnly bool, log *logger, f *files) (*dataset.Splits, error) {
	if err := mio.checkBatched(); err != nil {
		return nil, err
	}
	if mio.Classes == 1 {
		// a sigmoid binary classifier: its one logit is no class score,
		// and the data's two labels would be refused as "2 classes, the
		// model 1 outputs", which names no way out
		return nil, errors.New("the model's output has one value per image (a single-logit binary classifier, trained with a sigmoid): bincompress scores, trains and verifies a classifier by its top-1 over one logit per class; export it with two logits, torch.cat([torch.zeros_like(z), z], 1) for the logit z, which softmax turns into the same probabilities")
	}
	if layout := cmp.Or(prep.Layout, dataset.NCHW); layout != mio.Layout {
		return nil, fmt.Errorf("the preprocessing lays images out %s, but the model's input %q is %s", layout, mio.Input, mio.Layout)
	}
	s, err := dataset.OpenWith(path, dataset.Options{Limit: flags.Limit, MaxPixels: int64(flags.MaxPixels), Classes: classes, EvalOnly: evalOnly})
	if err != nil {
		return nil, err
	}
	if f != nil {
		if err := f.notData(path, s); err != nil {
			return nil, err
		}
	}
	for _, ds := range []dataset.Dataset{s.Train, s.Test} {
		if ds == nil {
			continue
		}
		if err := dataset.Check(ds, &prep, mio.Shape, mio.Classes); err != nil {
			return nil, err
		}
		if names := ds.Info().ClassNames; len(classes) == 0 && len(names) > 0 && len(names) < mio.Classes {
			log.warnf("%s names %d classes, the model has %d outputs and records no class names: its classes are numbered by sorted name from 0, so a class missing before the last shifts those after it and their accuracy is scored against the wrong outputs; give data with a folder for every class", ds.Info().Name, len(names), mio.Classes)
		}
		for _, u := range dataset.Unread(ds) {
			// not read: a copy would duplicate images; the batches read are
			// checked complete, so the run need not stop for it
			log.warnf("%s is not a file name of the %s format, so it is not read (a copy would duplicate images): rename or remove it", u, ds.Info().Format)
		}
		if hi, ok := dataset.FloatPixelsLikeBytes(ds); ok {
			log.warnf("%s holds float pixels that are all whole numbers, up to %g: float pixels are read as already scaled to [0,1] (ToTensor's scale, before --mean/--std), so these go in up to %g times too bright; divide them by 255, or save them as uint8", ds.Info().Name, hi, hi)
		}
	}
	return s, nil
}

// warnLimitClasses warns of each split (nil: none) a run uses whose first
// limit images (--limit; 0: all) hold only some of its classes: training on
// them, or a gate judged on them, sees those classes alone. The main
// command and verify call it on the splits they train and evaluate on, not
// on a split they open and leave.
func warnLimitClasses(log *logger, limit int, splits ...dataset.Dataset) {
	for _, ds := range splits {
		if ds == nil || limit == 0 {
			continue
		}
		if n, info := classesPresent(ds), ds.Info(); n < info.Classes {
			why := ""
			if info.Format == "imagefolder" {
				why = " (an image folder lists its files class by class)"
			}
			log.warnf("--limit %d: the first %d images of %s hold %d of its %d classes%s", limit, ds.Len(), info.Name, n, info.Classes, why)
		}
	}
}

// classesPresent is the number of distinct labels in ds.
func classesPresent(ds dataset.Dataset) int {
	seen := map[int]bool{}
	for i := range ds.Len() {
		seen[ds.Label(i)] = true
	}
	return len(seen)
}

// evalBatches walks a dataset in order for verification, reporting its
// progress (nil: none).
func evalBatches(ds dataset.Dataset, prep dataset.Preprocess, batch int, p *progress) verify.Batches {
	return func(ctx context.Context, fn func(verify.Batch) error) error {
		defer p.finish()
		cfg := dataset.BatchConfig{Size: batch, Prep: prep}
		for b, err := range dataset.Batches(ctx, ds, cfg) {
			if err != nil {
				return err
			}
			if err := fn(verify.Batch{X: b.X, Shape: b.Dims(), Labels: b.Labels}); err != nil {
				return err
			}
			p.add(b.N())
		}
		return nil
	}
}
