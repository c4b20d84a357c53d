package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// newFinetuneCmd runs the fine-tuning stage alone: it writes an ONNX model
// with the float latent weights and the planned binarization recorded, for
// `bincompress pack` to finish.
func newFinetuneCmd(streams IO) *cobra.Command {
	opts := defaultCompressOptions()
	var out string
	cmd := &cobra.Command{
		Use:   "finetune IN.onnx --data DIR --out CKPT.onnx",
		Short: "Fine-tune into binary weights and write the float latent weights as ONNX",
		Long: "Runs only the fine-tuning stage. The output is an ordinary ONNX model holding the\n" +
			"float latent weights, with the layers to binarize and their scale mode recorded in\n" +
			"its metadata (bnn.layers); `bincompress pack` turns it into a .bnn.",
		Example: "  bincompress finetune model.onnx --data /usr/share/datasets/fashion-mnist --mean 0.2860 --std 0.3530 --epochs 2 --out ckpt.onnx\n" +
			"  bincompress pack ckpt.onnx model.bnn",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.In = args[0]
			if opts.Data == "" || out == "" {
				return usagef("finetune: --data and --out are required")
			}
			if err := opts.validate(); err != nil {
				return err
			}
			return runFinetune(cmd.Context(), opts, out, streams)
		},
	}
	opts.register(cmd.Flags())
	cmd.Flags().StringVar(&out, "out", "", "write the fine-tuned float model here (required)")
	return cmd
}

func runFinetune(ctx context.Context, o *CompressOptions, out string, streams IO) error {
	if ctx == nil {
		ctx = context.Background()
	}
	src, mio, prep, data, err := o.open()
	if err != nil {
		return err
	}
	tuned, _, err := o.train(ctx, src, data, prep, mio, newLogger(streams))
	if err != nil {
		return err
	}
	if _, err := convert.PlanPipeline().Run(tuned, o.convertOptions()); err != nil {
		return err
	}
	return onnx.WriteFile(out, tuned)
}

// newPackCmd binarizes and packs a model whose binarization was planned by
// `bincompress finetune` (or any float model, with the convert flags).
func newPackCmd(streams IO) *cobra.Command {
	opts := defaultCompressOptions()
	cmd := &cobra.Command{
		Use:   "pack IN.onnx OUT.bnn",
		Short: "Binarize and bit-pack a (fine-tuned) model into a .bnn",
		Long: "Binarizes the layers recorded by `bincompress finetune` with the recorded scale\n" +
			"modes (or, for a model without records, as --scale and --keep-float say) and\n" +
			"writes the bit-packed .bnn.",
		Example: "  bincompress pack ckpt.onnx model.bnn\n  bincompress pack model.onnx model.bnn --scale he --keep-float first",
		Args:    usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.In, opts.Out = args[0], args[1]
			return runPack(opts, streams)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Scale, "scale", "channel", "scale mode for a model without recorded binarization: he, channel or layer")
	fs.StringVar(&opts.KeepFloat, "keep-float", "", "layers to keep in float for a model without recorded binarization")
	fs.BoolVar(&opts.AllowEmpty, "allow-empty", false, "write a .bnn even when no layer can be binarized")
	return cmd
}

func runPack(o *CompressOptions, streams IO) error {
	m, err := onnx.ReadFile(o.In)
	if err != nil {
		return err
	}
	if err := o.adoptRecords(m); err != nil {
		return err
	}
	srcBytes, err := readSource(o.In)
	if err != nil {
		return err
	}
	bnn, rep, err := o.binarizeAndPack(m, nil, nil, srcBytes)
	if err != nil {
		return err
	}
	if err := onnx.WriteFile(o.Out, bnn); err != nil {
		return err
	}
	newLogger(streams).printf("wrote %s: %d layers binarized, %d kept float", o.Out, rep.Binarized(), len(rep.Layers)-rep.Binarized())
	return nil
}

// adoptRecords takes the scale mode and kept-float layers from the layer
// records a finetune run stored, so pack reproduces its plan.
func (o *CompressOptions) adoptRecords(m *ir.Model) error {
	recs, err := m.LayerRecords()
	if err != nil || recs == nil {
		return err
	}
	var keep []string
	for _, r := range recs {
		if r.Binarized {
			o.Scale = r.Scale
		} else {
			keep = append(keep, r.Node)
		}
	}
	o.KeepFloat = strings.Join(keep, ",")
	return nil
}

func (o *CompressOptions) convertOptions() convert.Options {
	scale, _ := convert.ParseScaleMode(o.Scale)
	return convert.Options{Scale: scale, KeepFloat: convert.SplitList(o.KeepFloat), AllowEmpty: o.AllowEmpty}
}
