package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bincompress/bincompress/export"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
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
			"c:           NAME.h and NAME.c in --out, a folder: the folder is created when missing,\n" +
			"             but its parent must exist; portable C99, no heap, libm only\n\n" +
			"See docs/EXPORT.md.",
		Example: "  bincompress export tiny.bnn --format onnx-packed --out tiny.packed.onnx\n" +
			"  bincompress export tiny.bnn --format c --out firmware/ --prefix fmnist",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Model = args[0]
			if !slices.Contains(export.Formats, opts.Format) {
				return usagef("export: --format must be one of %s", strings.Join(export.Formats, ", "))
			}
			if opts.Out == "" {
				return usagef("export: --out is required")
			}
			if err := export.CheckPrefix(opts.Prefix); err != nil {
				return usageError{err}
			}
			if cmd.Flags().Changed("prefix") && opts.Format != "c" {
				return usagef("export: --prefix names the C export's files and symbols; --format %s writes one model file (the name is --out)", opts.Format)
			}
			return runExport(opts, newLogger(streams, quiet(cmd), false))
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Format, "format", "", "onnx, onnx-packed, qonnx or c (required)")
	pathFlag(fs, &opts.Out, "out", "output file (a folder for --format c) (required)")
	fs.StringVar(&opts.Prefix, "prefix", export.DefaultPrefix, fmt.Sprintf("--format c: name of the files and the C symbols: a C identifier of at most %d characters, not a standard header's name (math, string, ...)", export.MaxPrefix))
	return cmd
}

// declare names the outputs: the model file, or for C the header and
// source inside --out, whose folder is created (and removed on failure)
// when missing. Its parent is not: the folder is staged as a temporary
// beside it (docs/CI.md, "Outputs: all or nothing"), so that a failure
// leaves nothing, and parents made for it would outlive a failure.
func (o *ExportOptions) declare(f *files) error {
	f.input("MODEL", o.Model)
	if o.Format != "c" {
		f.output("--out", o.Out)
		return nil
	}
	fi, err := os.Stat(o.Out)
	switch {
	case err == nil && !fi.IsDir():
		return usagef("--out %s is a file; --format c writes into a folder", o.Out)
	case err == nil:
		f.output("--out", filepath.Join(o.Out, o.Prefix+".h"))
		f.output("--out", filepath.Join(o.Out, o.Prefix+".c"))
	default:
		f.outputDir("--out", o.Out)
	}
	return nil
}

func runExport(o *ExportOptions, log *logger) error {
	var f files
	if err := o.declare(&f); err != nil {
		return err
	}
	if err := f.stage(); err != nil {
		return err
	}
	defer f.discard()
	m, _, err := importModel(o.Model, nil, 0, &f, exportStage(o.Format))
	if err != nil {
		return err
	}
	if o.Format == "c" {
		return o.writeC(&f, m, log)
	}
	out, err := export.Model(m, o.Format)
	if err != nil {
		return o.modelErr(err)
	}
	data, err := onnx.Encode(out)
	if err != nil {
		return err
	}
	if err := f.out(o.Out).WriteBytes(data); err != nil {
		return err
	}
	if err := f.commit(); err != nil {
		return err
	}
	log.resultf("wrote %s (%s): %d bytes", o.Out, o.Format, len(data))
	return nil
}

// modelErr names the model in an error of the export itself; a plain
// ONNX model, the float source given instead of its .bnn, also gets the
// command that makes the .bnn.
func (o *ExportOptions) modelErr(err error) error {
	if errors.Is(err, pack.ErrNotBNN) {
		return fmt.Errorf("%s: %w; export takes a .bnn: compress the model first (bincompress %s OUT.bnn)", o.Model, err, o.Model)
	}
	return fmt.Errorf("%s: %w", o.Model, err)
}

func (o *ExportOptions) writeC(f *files, m *ir.Model, log *logger) error {
	header, source, err := export.C(m, o.Prefix)
	if err != nil {
		return o.modelErr(err)
	}
	fp, err := export.Footprint(m)
	if err != nil {
		return o.modelErr(err)
	}
	files := map[string][]byte{o.Prefix + ".h": header, o.Prefix + ".c": source}
	if dir := f.out(o.Out); dir != nil { // a new folder, staged whole
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir.Path(), name), b, 0o644); err != nil {
				return fmt.Errorf("--out %s: %w", o.Out, err)
			}
		}
	} else {
		for name, b := range files {
			if err := f.out(filepath.Join(o.Out, name)).WriteBytes(b); err != nil {
				return err
			}
		}
	}
	if err := f.commit(); err != nil {
		return err
	}
	log.resultf("wrote %s.h and %s.c: %d bytes of const data (flash), %d bytes of workspace (RAM)",
		filepath.Join(o.Out, o.Prefix), o.Prefix, fp.FlashBytes, fp.RAMBytes)
	return nil
}
