package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/finetune"
	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
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
			"its metadata (bnn.layers), with the source model's SHA-256 and size and the seed, which\n" +
			"`bincompress pack` carries into the .bnn it turns it into.",
		Example: "  bincompress finetune testdata/models/fmnist_tiny.onnx --data testdata/data/fmnist-mini --mean 0.2860 --std 0.3530 --epochs 1 --out ckpt.onnx\n" +
			"  bincompress pack ckpt.onnx model.bnn",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.In, opts.Quiet = args[0], quiet(cmd)
			if opts.Data == "" || out == "" {
				return usagef("finetune: --data and --out are required")
			}
			if opts.Gate.changed("min-accuracy") || opts.Report != "" || opts.Val != "" || (opts.Gate.changed("max-drop") && !opts.autoFloat()) {
				return usagef("finetune does not verify: --val, --min-accuracy, --report and --max-drop (but as the budget of --keep-float auto) belong to the main command, or to `bincompress verify` of the packed model")
			}
			if err := opts.validate(); err != nil {
				return err
			}
			return runFinetune(cmd.Context(), opts, out, streams)
		},
	}
	opts.register(cmd.Flags())
	pathFlag(cmd.Flags(), &out, "out", "write the fine-tuned float model here (required)")
	return cmd
}

func runFinetune(ctx context.Context, o *CompressOptions, out string, streams IO) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var f files
	o.declareInputs(&f)
	f.output("--out", out)
	f.workDir("--checkpoint", o.Train.CheckpointDir, finetune.CheckpointFile)
	if err := f.stage(); err != nil {
		return err
	}
	defer f.discard()
	log := newLogger(streams, o.Quiet, o.JSON)
	src, source, _, prep, data, err := o.open(log, &f)
	if err != nil {
		return err
	}
	prov := provenance{source, o.Train.Seed}
	planned, err := o.plan(src, log)
	if err != nil {
		return err
	}
	tr, err := o.train(ctx, planned, data, prep, log)
	if err != nil {
		return err
	}
	tuned := tr.model
	// pack keeps these, so the .bnn records how its inputs are prepared
	// and where its weights came from.
	prov.record(tuned)
	tuned.SetMetadata(pack.KeyPreprocess, prep.Marshal())
	if labels := data.labels(); labels != nil {
		tuned.SetMetadata(pack.KeyLabels, string(labels))
	}
	encoded, err := onnx.Encode(tuned)
	if err != nil {
		return err
	}
	if err := f.out(out).WriteBytes(encoded); err != nil {
		return err
	}
	if err := f.commit(); err != nil {
		return err
	}
	log.resultf("wrote %s: %d bytes of fine-tuned float weights; `bincompress pack %s OUT.bnn` binarizes them", out, len(encoded), out)
	if o.JSON {
		if err := writeFinetuneSummary(streams, o, prov, tuned, tr, out, len(encoded)); err != nil {
			return err
		}
	}
	if tr.auto != nil && !tr.auto.Reached { // as the main command: the budget was missed
		log.warnf("--keep-float auto did not meet --max-drop (exit 3); %s holds the plan tried with the smallest held-out drop", out)
		return errAutoMissed
	}
	return nil
}

// writeFinetuneSummary ends finetune's --json log with the main command's
// summary line (the plan, the held-out figures, memory, the auto search),
// with nothing verified: the output is float weights, not yet a .bnn.
func writeFinetuneSummary(streams IO, o *CompressOptions, prov provenance, tuned *ir.Model, tr *trained, out string, size int) error {
	recs, err := tuned.LayerRecords()
	if err != nil {
		return err
	}
	sum := newSummary(o, prov.source, &convert.Report{Layers: recs}, tr)
	sum.wrote(out, size)
	sum.Unverified = true
	return json.NewEncoder(streams.Out).Encode(sum)
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
		Example: "  bincompress pack ckpt.onnx model.bnn\n  bincompress pack testdata/models/fmnist_tiny.onnx tiny.he.bnn --scale he --keep-float first",
		Args:    usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.In, opts.Out = args[0], args[1]
			if _, err := ir.ParseScaleMode(opts.Scale); err != nil {
				return usageError{err}
			}
			if opts.autoFloat() {
				return usagef("pack --keep-float auto: choosing float layers needs data; use the main command or finetune with --data and --max-drop")
			}
			var planFlags []string // refused for a model whose plan is recorded (runPack)
			for _, name := range []string{"keep-float", "scale"} {
				if cmd.Flags().Changed(name) {
					planFlags = append(planFlags, "--"+name)
				}
			}
			return runPack(opts, planFlags, newLogger(streams, quiet(cmd), false))
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Scale, "scale", "channel", "scale mode for a model without recorded binarization: he, channel or layer")
	keepFloatFlag(fs, &opts.KeepFloat, "layers to keep in float for a model without recorded binarization, as the main command's --keep-float (none: every layer binary)")
	fs.BoolVar(&opts.AllowEmpty, "allow-empty", false, "write a .bnn even when no layer can be binarized")
	return cmd
}

// runPack packs o.In into o.Out; planFlags are the planning flags the
// user gave, which only a model without a recorded plan takes.
func runPack(o *CompressOptions, planFlags []string, log *logger) error {
	var f files
	f.input("IN", o.In)
	f.output("OUT", o.Out)
	if err := f.stage(); err != nil {
		return err
	}
	defer f.discard()
	m, source, err := importModel(o.In, nil, 0, &f, schema.Executor, schema.Pack)
	if err != nil {
		return err
	}
	// Refuse what cannot run before planning says anything about it.
	if _, _, err := checkModel(o.In, m, infer.Options{}); err != nil {
		return err
	}
	if recs, err := m.LayerRecords(); err != nil {
		return err
	} else if recs == nil { // a float model: plan it here
		if m, err = o.plan(m, log); err != nil {
			return err
		}
	} else if len(planFlags) > 0 {
		return usagef("pack %s: %s records its binarization plan (bnn.layers, from bincompress finetune), and its weights were trained for that plan, "+
			"so they would change nothing; plan with them at finetune, or pack a float model", strings.Join(planFlags, " and "), o.In)
	}
	prov, recorded, err := recordedProvenance(m)
	if err != nil {
		return fmt.Errorf("%s: %w", o.In, err)
	}
	if !recorded { // not finetune's output: this file is the source
		prov = provenance{source, o.Train.Seed}
	}
	bnn, rep, err := o.binarizeAndPack(m, nil, nil, prov)
	if err := keepFloatUsage(err); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	data, err := onnx.Encode(bnn)
	if err != nil {
		return err
	}
	if err := f.out(o.Out).WriteBytes(data); err != nil {
		return err
	}
	if err := f.commit(); err != nil {
		return err
	}
	log.resultf("wrote %s: %d bytes, %s %s; %d layers binarized, %d kept float",
		o.Out, len(data), sizeComparison(source.Bytes, int64(len(data))), o.In, rep.Binarized(), len(rep.Layers)-rep.Binarized())
	return nil
}

func (o *CompressOptions) convertOptions() convert.Options {
	scale, _ := ir.ParseScaleMode(o.Scale)
	var keep []string // each entry once: "first,first" is first
	for _, k := range convert.SplitList(o.KeepFloat) {
		if !slices.Contains(keep, k) {
			keep = append(keep, k)
		}
	}
	return convert.Options{Scale: scale, KeepFloat: keep, SizeBound: convert.DefaultSizeBound, AllowEmpty: o.AllowEmpty}
}
