package cli

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/termtext"
	"github.com/bincompress/bincompress/ir"
)

// BenchOptions are the inputs of `bincompress bench`.
type BenchOptions struct {
	Model       string
	Batch       int
	Runs        int
	Warmup      int
	Top         int
	JSON        bool
	Int8        bool
	MaxElements int
}

func newBenchCmd(streams IO) *cobra.Command {
	opts := &BenchOptions{}
	cmd := &cobra.Command{
		Use:   "bench MODEL [--batch N] [--json]",
		Short: "Measure inference images/s and per-layer time",
		Long: "Runs the model on a random batch: warm-up runs, then timed runs. Reports the median\n" +
			"images/s and, per layer, the median time of the timed runs. Works for ONNX and .bnn.",
		Example: "  bincompress bench testdata/models/resnet18_w16_op13.onnx --batch 4 --runs 2\n" +
			"  bincompress bench tiny.bnn --batch 1 --runs 50 --json",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Model = args[0]
			if err := firstErr(checkRange("batch", opts.Batch, 1, 1<<20), checkRange("runs", opts.Runs, 1, 1<<20),
				checkRange("warmup", opts.Warmup, 0, 1<<20), checkRange("top", opts.Top, 0, 1<<20), checkMaxElements(opts.MaxElements)); err != nil {
				return err
			}
			return runBench(opts, streams)
		},
	}
	fs := cmd.Flags()
	fs.IntVar(&opts.Batch, "batch", 1, "images per run")
	fs.IntVar(&opts.Runs, "runs", 10, "timed runs")
	fs.IntVar(&opts.Warmup, "warmup", 2, "untimed runs first")
	fs.IntVar(&opts.Top, "top", 15, "layers the table lists, slowest first (0: all); --json lists every layer in graph order")
	fs.BoolVar(&opts.JSON, "json", false, "print JSON on stdout")
	fs.BoolVar(&opts.Int8, "int8-activations", false, "run the binary convolutions with 8-bit activations (quantized per tensor at run time): faster, slightly less exact")
	maxElementsFlag(fs, &opts.MaxElements)
	return cmd
}

// BenchResult is the JSON form of `bench`.
type BenchResult struct {
	Model        string      `json:"model"`
	Batch        int         `json:"batch"`
	Int8         bool        `json:"int8_activations"`
	Runs         int         `json:"runs"`
	MedianMillis float64     `json:"median_ms"`
	MinMillis    float64     `json:"min_ms"`
	ImagesPerSec float64     `json:"images_per_sec"`
	Layers       []LayerTime `json:"layers"`
}

// LayerTime is the median time of one node over the timed runs.
type LayerTime struct {
	Node   string  `json:"node"`
	Op     string  `json:"op"`
	Millis float64 `json:"median_ms"`
	Share  float64 `json:"share"`
}

func runBench(o *BenchOptions, streams IO) error {
	m, _, err := loadModel(o.Model)
	if err != nil {
		return err
	}
	mio, prog, err := checkModelBatch(o.Model, m, infer.Options{Int8Activations: o.Int8, MaxElements: o.MaxElements}, o.Batch)
	if err != nil {
		return err
	}
	x := randomBatch(mio, o.Batch)
	in := map[string]*ir.Tensor{mio.Input: x}
	for i := 0; i < o.Warmup; i++ {
		if _, err := prog.Run(in); err != nil {
			return err
		}
	}
	totals := make([]float64, 0, o.Runs)
	var perStep [][]infer.StepTime
	for i := 0; i < o.Runs; i++ {
		start := time.Now()
		if _, err := prog.Run(in); err != nil {
			return err
		}
		totals = append(totals, ms(time.Since(start)))
		_, steps, err := prog.Profile(in)
		if err != nil {
			return err
		}
		perStep = append(perStep, steps)
	}
	res := &BenchResult{Model: o.Model, Batch: o.Batch, Int8: o.Int8, Runs: o.Runs, MedianMillis: median(totals), MinMillis: minOf(totals)}
	res.ImagesPerSec = float64(o.Batch) / (res.MedianMillis / 1000)
	res.Layers = layerMedians(perStep)
	if o.JSON {
		return writeJSON(streams.Out, res)
	}
	return printBench(termtext.NewWriter(streams.Out), res, o.Top) // node names come from the file
}

// randomBatch fills a batch with seeded standard-normal values: inference
// time does not depend on the values, and a fixed seed keeps runs equal.
func randomBatch(mio modelIO, batch int) *ir.Tensor {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]float32, batch*mio.Shape.Len())
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return ir.NewFloat32(mio.Input, mio.dims(batch), data)
}

// layerMedians takes, for each node, the median of its times over runs
// (timed in separate profiled runs, so the timing reads do not skew the
// whole-model figure).
func layerMedians(runs [][]infer.StepTime) []LayerTime {
	if len(runs) == 0 {
		return nil
	}
	out := make([]LayerTime, len(runs[0]))
	total := 0.0
	for i, st := range runs[0] {
		ts := make([]float64, len(runs))
		for r := range runs {
			ts[r] = ms(runs[r][i].Duration)
		}
		out[i] = LayerTime{Node: st.Node, Op: st.Op, Millis: median(ts)}
		total += out[i].Millis
	}
	for i := range out {
		out[i].Share = out[i].Millis / total
	}
	return out
}

func printBench(w io.Writer, r *BenchResult, top int) error {
	fmt.Fprintf(w, "%s  batch %d  median %.2f ms  min %.2f ms  %.1f images/s (%d runs)\n\n",
		r.Model, r.Batch, r.MedianMillis, r.MinMillis, r.ImagesPerSec, r.Runs)
	layers := append([]LayerTime(nil), r.Layers...)
	sort.SliceStable(layers, func(i, j int) bool { return layers[i].Millis > layers[j].Millis })
	if top > 0 && len(layers) > top {
		layers = layers[:top]
	}
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ms\tshare\top\tnode\t")
	for _, l := range layers {
		fmt.Fprintf(tw, "%.3f\t%.1f%%\t%s\t%s\t\n", l.Millis, 100*l.Share, l.Op, l.Node)
	}
	return tw.Flush()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func minOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs {
		m = min(m, x)
	}
	return m
}
