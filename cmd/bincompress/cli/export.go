package cli

import (
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bincompress/bincompress/export"
	"github.com/bincompress/bincompress/onnx"
)

// ExportOptions are the inputs of `bincompress export`.
type ExportOptions struct {
	Model  string
	Format string
	Out    string
	Prefix string
}

func newExportCmd(streams IO) *cobra.Command {
	opts := &ExportOptions{}
	cmd := &cobra.Command{
		Use:   "export MODEL.bnn --format onnx|onnx-packed|qonnx|c --out PATH",
		Short: "Export a .bnn for other runtimes: ONNX, packed ONNX, QONNX (FINN) or C99",
		Long: "onnx:        standard ONNX with ±s float weights (any runtime; cross-checks)\n" +
			"onnx-packed: standard ONNX storing the weights as bits, rebuilt by standard ops at load\n" +
			"qonnx:       QONNX BipolarQuant nodes on the float weights, for FINN\n" +
			"c:           NAME.h and NAME.c in --out (a folder): portable C99, no heap, libm only\n\n" +
			"See docs/EXPORT.md.",
		Example: "  bincompress export model.bnn --format onnx-packed --out model.packed.onnx\n" +
			"  bincompress export model.bnn --format c --out firmware/ --prefix fmnist",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Model = args[0]
			if !slices.Contains(export.Formats, opts.Format) {
				return usagef("export: --format must be one of %s", strings.Join(export.Formats, ", "))
			}
			if opts.Out == "" {
				return usagef("export: --out is required")
			}
			return runExport(opts, streams)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Format, "format", "", "onnx, onnx-packed, qonnx or c (required)")
	fs.StringVar(&opts.Out, "out", "", "output file (a folder for --format c) (required)")
	fs.StringVar(&opts.Prefix, "prefix", export.DefaultPrefix, "--format c: name of the files and the C symbols")
	return cmd
}

func runExport(o *ExportOptions, streams IO) error {
	m, err := importModel(o.Model, exportStage(o.Format))
	if err != nil {
		return err
	}
	log := newLogger(streams)
	if o.Format == "c" {
		if err := os.MkdirAll(o.Out, 0o755); err != nil {
			return err
		}
		if err := export.WriteC(o.Out, o.Prefix, m); err != nil {
			return err
		}
		fp, err := export.Footprint(m)
		if err != nil {
			return err
		}
		log.printf("wrote %s/%s.h and %s.c: %d bytes of const data (flash), %d bytes of workspace (RAM)",
			o.Out, o.Prefix, o.Prefix, fp.FlashBytes, fp.RAMBytes)
		return nil
	}
	out, err := export.Model(m, o.Format)
	if err != nil {
		return err
	}
	if err := onnx.WriteFile(o.Out, out); err != nil {
		return err
	}
	if fi, err := os.Stat(o.Out); err == nil {
		log.printf("wrote %s (%s): %d bytes", o.Out, o.Format, fi.Size())
	}
	return nil
}
