package cli

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/npy"
	"github.com/bincompress/bincompress/internal/safefile"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// RunOptions are the inputs of `bincompress run`.
type RunOptions struct {
	Model       string
	Input       string
	Output      string
	Top         int
	Int8        bool
	MaxElements int
}

func newRunCmd(streams IO) *cobra.Command {
	opts := &RunOptions{}
	cmd := &cobra.Command{
		Use:   "run MODEL --input X.npy [--output Y.npy] [--top K]",
		Short: "Run an ONNX model or a .bnn on a batch from a .npy file",
		Long: "Runs a float32 batch (already preprocessed, in the model input's layout:\n" +
			"NCHW, or NHWC for an NHWC model) through the model on the CPU.\n" +
			"The output (the logits: a model with more than one output is refused, as by\n" +
			"every command) is written as float32 .npy with --output, and/or the top-k\n" +
			"classes of each row are printed with --top. A .bnn runs from its packed bits.",
		Example: "  bincompress run testdata/models/resnet20_cifar_op17.onnx --input testdata/models/resnet20_cifar_op17.input.npy --top 3\n" +
			"  bincompress run tiny.bnn --input testdata/models/fmnist_tiny.input.npy --output logits.npy",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Model = args[0]
			if opts.Output == "" && opts.Top == 0 {
				return usagef("run: nothing to do: give --output FILE and/or --top K")
			}
			if err := firstErr(checkRange("top", opts.Top, 0, 1<<30), checkMaxElements(opts.MaxElements)); err != nil {
				return err
			}
			return runRun(opts, streams)
		},
	}
	pathFlag(cmd.Flags(), &opts.Input, "input", "float32 batch as .npy, in the model input's layout (required)")
	pathFlag(cmd.Flags(), &opts.Output, "output", "write the output here as float32 .npy")
	cmd.Flags().IntVar(&opts.Top, "top", 0, "print the K best classes of each row")
	cmd.Flags().BoolVar(&opts.Int8, "int8-activations", false, "run the binary convolutions with 8-bit activations (quantized per tensor at run time): faster, slightly less exact")
	maxElementsFlag(cmd.Flags(), &opts.MaxElements)
	_ = cmd.MarkFlagRequired("input")
	return cmd
}

func runRun(opts *RunOptions, streams IO) error {
	var f files
	f.input("MODEL", opts.Model)
	f.input("--input", opts.Input)
	f.output("--output", opts.Output)
	if err := f.stage(); err != nil {
		return err
	}
	defer f.discard()
	m, _, err := importModel(opts.Model, nil, opts.MaxElements, &f, schema.Executor)
	if err != nil {
		return err
	}
	x, err := readInputNPY(opts.Input)
	if err != nil {
		return err
	}
	prog, err := infer.CompileWith(m, infer.Options{Int8Activations: opts.Int8, MaxElements: opts.MaxElements})
	if err != nil {
		return fmt.Errorf("%s: %w", opts.Model, err)
	}
	inputs := m.Graph.DataInputs()
	if len(inputs) != 1 {
		return fmt.Errorf("run: %s has %d inputs; run feeds models with exactly one", opts.Model, len(inputs))
	}
	if len(m.Graph.Outputs) != 1 {
		shapes, _ := prog.CheckShapes(1) // to name the outputs' shapes; Run reports a shape error itself
		return fmt.Errorf("run: %s: %w", opts.Model, singleOutput(m, shapes))
	}
	x.Name = inputs[0].Name
	outs, err := prog.Run(map[string]*ir.Tensor{x.Name: x})
	if err != nil {
		// The batch file is named too: a shape the model refuses is its.
		return fmt.Errorf("%s on %s: %w", opts.Model, opts.Input, err)
	}
	y := outs[m.Graph.Outputs[0].Name]
	data, err := y.Float32s()
	if err != nil {
		return fmt.Errorf("run: output %q: %w", y.Name, err)
	}
	// The classes print only once --output is in place, as every command
	// prints its results after its commit: a failed write must not follow
	// results that read as success. Formatted first, so that an output
	// printTop refuses writes nothing either.
	var top bytes.Buffer
	if opts.Top > 0 {
		if err := printTop(&top, y.Shape, data, opts.Top, modelLabels(m)); err != nil {
			return err
		}
	}
	if opts.Output != "" {
		err := f.out(opts.Output).Write(func(w io.Writer) error {
			return npy.Write(w, &npy.Array{Shape: y.Shape, DType: "float32", Data: data})
		})
		if err != nil {
			return err
		}
	}
	if err := f.commit(); err != nil {
		return err
	}
	_, err = top.WriteTo(streams.Out)
	return err
}

// readInputNPY reads a float batch and converts it to float32.
func readInputNPY(path string) (*ir.Tensor, error) {
	if _, err := safefile.CheckRegular(path, math.MaxInt64); err != nil {
		return nil, fmt.Errorf("run: %s: %w", path, err)
	}
	a, err := npy.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(a.Shape) == 0 {
		return nil, fmt.Errorf("run: %s holds a scalar (shape ()), not a batch: save the batch, in the model input's layout, with its first dimension N", path)
	}
	if a.Shape[0] == 0 {
		return nil, fmt.Errorf("run: %s holds an empty batch (shape %v)", path, a.Shape)
	}
	t := &ir.Tensor{Shape: a.Shape, Data: a.Data, DType: ir.DTypeOf(a.Data)}
	if t.DType != ir.Float32 && t.DType != ir.Float64 {
		// integers would most likely be raw pixels, run unnormalized
		return nil, fmt.Errorf("run: %s holds %s values; run takes a preprocessed float32 (or float64) batch, not raw pixels", path, a.DType)
	}
	f, err := t.Float32s()
	if err != nil {
		return nil, fmt.Errorf("run: %s: %w", path, err)
	}
	return ir.NewFloat32("", a.Shape, f), nil
}

// printTop prints, for each row of a [N, classes] output, the k best
// classes with their scores.
func printTop(w io.Writer, shape []int, data []float32, k int, labels []string) error {
	if len(shape) == 0 || shape[0] == 0 {
		return fmt.Errorf("run: output has shape %v, want [N, classes]", shape)
	}
	rows := shape[0]
	classes := len(data) / rows
	for r := 0; r < rows; r++ {
		row := data[r*classes : (r+1)*classes]
		idx := make([]int, classes)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return row[idx[a]] > row[idx[b]] })
		parts := make([]string, 0, k)
		for _, c := range idx[:min(k, classes)] {
			name := fmt.Sprint(c)
			if c < len(labels) {
				name += " " + labels[c]
			}
			parts = append(parts, fmt.Sprintf("%s (%.4g)", name, row[c]))
		}
		if _, err := fmt.Fprintf(w, "%d: %s\n", r, strings.Join(parts, ", ")); err != nil {
			return err
		}
	}
	return nil
}
