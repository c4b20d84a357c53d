package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/npy"
	"github.com/bincompress/bincompress/ir"
)

// RunOptions are the inputs of `bincompress run`.
type RunOptions struct {
	Model  string
	Input  string
	Output string
	Top    int
	Int8   bool
}

func newRunCmd(streams IO) *cobra.Command {
	opts := &RunOptions{}
	cmd := &cobra.Command{
		Use:   "run MODEL --input X.npy [--output Y.npy] [--top K]",
		Short: "Run an ONNX model or a .bnn on a batch from a .npy file",
		Long: "Runs a float32 NCHW batch (already preprocessed) through the model on the CPU.\n" +
			"The first output is written as float32 .npy with --output, and/or the top-k\n" +
			"classes of each row are printed with --top. A .bnn runs from its packed bits.",
		Example: "  bincompress run testdata/models/resnet20_op13.onnx --input testdata/models/resnet20_op13.input.npy --top 3\n" +
			"  bincompress run model.bnn --input batch.npy --output logits.npy",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Model = args[0]
			if opts.Output == "" && opts.Top == 0 {
				return usagef("run: nothing to do: give --output FILE and/or --top K")
			}
			if opts.Top < 0 {
				return usagef("run: --top must be positive, got %d", opts.Top)
			}
			return runRun(opts, streams)
		},
	}
	cmd.Flags().StringVar(&opts.Input, "input", "", "float32 NCHW batch as .npy (required)")
	cmd.Flags().StringVar(&opts.Output, "output", "", "write the first output here as float32 .npy")
	cmd.Flags().IntVar(&opts.Top, "top", 0, "print the K best classes of each row")
	cmd.Flags().BoolVar(&opts.Int8, "int8-activations", false, "run the binary convolutions with 8-bit activations (quantized per tensor at run time): faster, slightly less exact")
	_ = cmd.MarkFlagRequired("input")
	return cmd
}

func runRun(opts *RunOptions, streams IO) error {
	m, err := loadModel(opts.Model)
	if err != nil {
		return err
	}
	x, err := readInputNPY(opts.Input)
	if err != nil {
		return err
	}
	prog, err := infer.CompileWith(m, infer.Options{Int8Activations: opts.Int8})
	if err != nil {
		return err
	}
	inputs := m.Graph.DataInputs()
	if len(inputs) != 1 {
		return fmt.Errorf("run: the model has %d inputs; run feeds models with exactly one", len(inputs))
	}
	x.Name = inputs[0].Name
	outs, err := prog.Run(map[string]*ir.Tensor{x.Name: x})
	if err != nil {
		return err
	}
	y := outs[m.Graph.Outputs[0].Name]
	data, err := y.Float32s()
	if err != nil {
		return fmt.Errorf("run: output %q: %w", y.Name, err)
	}
	if opts.Output != "" {
		if err := npy.WriteFile(opts.Output, &npy.Array{Shape: y.Shape, DType: "float32", Data: data}); err != nil {
			return err
		}
	}
	if opts.Top > 0 {
		return printTop(streams.Out, y.Shape, data, opts.Top, modelLabels(m))
	}
	return nil
}

// readInputNPY reads a batch and converts it to float32.
func readInputNPY(path string) (*ir.Tensor, error) {
	a, err := npy.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t := &ir.Tensor{Shape: a.Shape, Data: a.Data, DType: ir.DTypeOf(a.Data)}
	if t.DType == ir.Undefined {
		return nil, fmt.Errorf("run: %s: unsupported element type %s", path, a.DType)
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
