package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/dataset"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/pack"
	"github.com/bincompress/bincompress/verify"
)

// VerifyOptions are the inputs of `bincompress verify`.
type VerifyOptions struct {
	Model  string
	Data   string
	Ref    string
	Report string
	JSON   bool
	Batch  int
	Int8   bool
	Prep   PrepFlags
	Gate   GateFlags
}

func newVerifyCmd(streams IO) *cobra.Command {
	opts := &VerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify MODEL --data DIR [--ref SOURCE.onnx] [--max-drop X] [--min-accuracy Y]",
		Short: "Measure a model's accuracy, against its source model, and gate on it",
		Long: "Evaluates top-1 and top-5 accuracy, per-class accuracy and the confusion matrix on\n" +
			"the data's test split (or the whole set when it has no split). With --ref it also\n" +
			"evaluates the source model: the drop, the agreement rate and the logit differences.\n" +
			"Preprocessing comes from the .bnn metadata unless flags are given.\n\n" +
			"Exit codes: 0 passed, 3 gate failed, 1 error, 2 usage error.",
		Example: "  bincompress verify fmnist.bnn --data /usr/share/datasets/fashion-mnist --ref testdata/models/fmnist_resnet20.onnx --max-drop 0.01\n" +
			"  bincompress verify fmnist.bnn --data test/ --min-accuracy 0.9 --json --report verify.html > verify.json",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Model = args[0]
			if opts.Data == "" {
				return usagef("verify: --data is required")
			}
			if err := opts.Gate.validate(); err != nil {
				return err
			}
			if opts.Batch < 1 {
				return usagef("verify: --batch-size %d: want at least 1", opts.Batch)
			}
			return runVerify(cmd.Context(), opts, streams)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Data, "data", "", "labelled data set to evaluate on (required)")
	fs.StringVar(&opts.Ref, "ref", "", "the source ONNX model to compare against")
	fs.StringVar(&opts.Report, "report", "", "write a self-contained HTML report to this file")
	fs.BoolVar(&opts.JSON, "json", false, "print the report as JSON on stdout")
	fs.IntVar(&opts.Batch, "batch-size", 100, "images per batch")
	fs.BoolVar(&opts.Int8, "int8-activations", false, "run the binary convolutions with 8-bit activations (quantized per tensor at run time): faster, slightly less exact")
	opts.Prep.register(fs)
	opts.Gate.register(fs)
	return cmd
}

func runVerify(ctx context.Context, o *VerifyOptions, streams IO) error {
	m, err := loadModel(o.Model)
	if err != nil {
		return err
	}
	mio, err := classifierIO(m)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Model, err)
	}
	prep, err := o.preprocess(m, mio)
	if err != nil {
		return err
	}
	var ref *ir.Model
	if o.Ref != "" {
		if ref, err = loadModel(o.Ref); err != nil {
			return err
		}
		rio, err := classifierIO(ref)
		if err != nil {
			return fmt.Errorf("%s: %w", o.Ref, err)
		}
		if rio.Shape != mio.Shape || rio.Layout != mio.Layout || rio.Classes != mio.Classes {
			return fmt.Errorf("verify: reference %s takes %v and gives %d classes, but %s takes %v and gives %d",
				o.Ref, rio.Shape, rio.Classes, o.Model, mio.Shape, mio.Classes)
		}
	}
	splits, err := openData(o.Data, prep, mio, o.Prep)
	if err != nil {
		return err
	}
	rep, err := evaluate(ctx, m, ref, splits.Eval(), prep, mio, o.Batch, infer.Options{Int8Activations: o.Int8})
	if err != nil {
		return err
	}
	if err := rep.ApplyGate(o.Gate.gate()); err != nil {
		return usageError{err}
	}
	if ref != nil && isArtifact(m) {
		diff, err := ortMaxDiff(ctx, m, splits.Eval(), prep, mio)
		switch {
		case errors.Is(err, errNoORT):
			fmt.Fprintf(streams.ErrOut, "skipping the onnxruntime cross-check: %v\n", err)
		case err != nil:
			return fmt.Errorf("verify: onnxruntime cross-check: %w", err)
		default:
			rep.ONNXRuntimeMaxDiff = &diff
		}
	}
	if err := o.writeOutputs(rep, loadHistory(m), streams); err != nil {
		return err
	}
	if !rep.Passed {
		return ErrGate
	}
	return nil
}

// preprocess takes the flags when given, else the .bnn metadata.
func (o *VerifyOptions) preprocess(m *ir.Model, mio modelIO) (dataset.Preprocess, error) {
	if !o.Prep.set() {
		if v, ok := m.MetadataValue(pack.KeyPreprocess); ok {
			p, err := dataset.ParsePreprocess(v)
			if err != nil {
				return p, fmt.Errorf("%s: metadata %s: %w", o.Model, pack.KeyPreprocess, err)
			}
			return p, nil
		}
	}
	return o.Prep.preprocess(mio)
}

func (o *VerifyOptions) writeOutputs(rep *verify.Report, h *history, streams IO) error {
	if err := verify.WriteTable(streams.ErrOut, rep); err != nil {
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
		if err := writeFileAtomic(o.Report, func(f *os.File) error {
			return verify.WriteHTML(f, "bincompress verify: "+o.Model, rep, images)
		}); err != nil {
			return err
		}
	}
	if o.JSON {
		return writeJSON(streams.Out, rep)
	}
	return nil
}

// evaluate runs the model (and the reference, when given) over ds.
// opts apply to the model, not the reference.
func evaluate(ctx context.Context, m, ref *ir.Model, ds dataset.Dataset, prep dataset.Preprocess, mio modelIO, batch int, opts infer.Options) (*verify.Report, error) {
	model, err := classifier(m, mio, opts)
	if err != nil {
		return nil, err
	}
	vopts := verify.Options{Classes: mio.Classes, ClassNames: ds.Info().ClassNames}
	if ref != nil {
		if vopts.Reference, err = classifier(ref, mio, infer.Options{}); err != nil {
			return nil, err
		}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	return verify.Evaluate(ctx, model, evalBatches(ds, prep, batch), vopts)
}

// classifier compiles a model into a verify.Model.
func classifier(m *ir.Model, mio modelIO, opts infer.Options) (verify.Model, error) {
	prog, err := infer.CompileWith(m, opts)
	if err != nil {
		return nil, err
	}
	out := m.Graph.Outputs[0].Name
	return func(x []float32, shape []int) ([]float32, error) {
		res, err := prog.Run(map[string]*ir.Tensor{mio.Input: ir.NewFloat32(mio.Input, shape, x)})
		if err != nil {
			return nil, err
		}
		return res[out].Float32s()
	}, nil
}
