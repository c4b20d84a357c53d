package cli

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/termtext"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
)

// InspectOptions are the inputs of `bincompress inspect`.
type InspectOptions struct {
	Path string
	JSON bool
}

func newInspectCmd(streams IO) *cobra.Command {
	opts := &InspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect MODEL",
		Short: "Describe an ONNX model or a .bnn artifact",
		Long: "Prints the producer, opsets, inputs and outputs with shapes, an op histogram,\n" +
			"the parameter count and bytes by element type. For a .bnn it also lists each\n" +
			"layer: binarized or kept float and why, its scale mode and bytes by part; for an\n" +
			"ONNX model, the layers the main command binarizes by default, under the names\n" +
			"--keep-float takes.",
		Example: "  bincompress inspect testdata/models/resnet20_cifar_op17.onnx\n" +
			"  bincompress inspect tiny.bnn --json | jq .layers",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Path = args[0]
			return runInspect(opts, streams)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON document on stdout")
	return cmd
}

// ModelSummary is the JSON form of `inspect`.
type ModelSummary struct {
	Path            string            `json:"path"`
	Producer        string            `json:"producer"`
	ProducerVersion string            `json:"producer_version,omitempty"`
	IRVersion       int64             `json:"ir_version"`
	Opsets          map[string]int64  `json:"opsets"`
	Inputs          []ValueSummary    `json:"inputs"`
	Outputs         []ValueSummary    `json:"outputs"`
	Ops             map[string]int    `json:"ops"`
	Nodes           int               `json:"nodes"`
	Parameters      int64             `json:"parameters"` // initializer elements; a .bnn's binary weights one per weight, not per uint64 word (pack.Parameters)
	BytesByDType    map[string]int64  `json:"bytes_by_dtype"`
	Metadata        map[string]string `json:"metadata,omitempty"`
	// Layers lists a .bnn's layers (the same list as artifact.layers, at the
	// top level for `jq .layers`); absent for a plain ONNX model.
	Layers   []pack.LayerInfo `json:"layers,omitempty"`
	Artifact *ArtifactSummary `json:"artifact,omitempty"`
	// Plan is, for an ONNX model, the main command's default plan: each
	// conv and dense layer, binarized or kept float and why; its node
	// names are what --keep-float takes. Absent for a .bnn, or when the
	// model cannot be planned (plan_error says why).
	Plan []ir.LayerRecord `json:"plan,omitempty"`
	// PlanError is, for an ONNX model the main command refuses, its
	// refusal, word for word: the model check's (one data input, a
	// classifier's single output, a batch the graph leaves free), a fixed
	// batch (refused when data runs through the model) or the plan's.
	// The plan may still be listed beside it.
	PlanError string `json:"plan_error,omitempty"`
	// ArtifactError is, for a .bnn of a format or operator version this
	// bincompress does not know (pack.ErrVersion), why it is not described
	// as a .bnn: the fields above describe its ONNX part alone (parameters
	// then count its initializers' elements, packed words as one each),
	// and artifact and layers are absent.
	ArtifactError string `json:"artifact_error,omitempty"`
}

// ValueSummary is one graph input or output.
type ValueSummary struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	// Shape is the declared shape, one dimension a string (a size, a
	// symbolic name, "?"); null when the value declares none, [] for a
	// scalar.
	Shape []string `json:"shape"`
}

func runInspect(opts *InspectOptions, streams IO) error {
	m, src, err := onnx.ReadFileSource(opts.Path)
	if err != nil {
		return err
	}
	s := summarize(opts.Path, m)
	if isArtifact(m) {
		a, err := summarizeArtifact(m)
		switch {
		case errors.Is(err, pack.ErrVersion):
			// a .bnn of a newer (or older) version is still an ONNX
			// model: describe that part, as for any model, and say why
			// the rest is not, rather than describe nothing (exit 0, as
			// an ONNX model the main command refuses gets plan_error)
			s.ArtifactError = err.Error()
		case err != nil:
			return fmt.Errorf("%s: %w", opts.Path, err)
		default:
			a.FileBytes = src.Bytes
			s.Artifact, s.Layers = a, a.Layers
			if s.Parameters, err = pack.Parameters(m); err != nil {
				return fmt.Errorf("%s: %w", opts.Path, err)
			}
		}
	} else {
		if s.Plan, err = defaultPlan(opts.Path, m); err != nil {
			s.PlanError = err.Error()
		}
	}
	if opts.JSON {
		enc := json.NewEncoder(streams.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	return printSummary(termtext.NewWriter(streams.Out), s) // names come from the file
}

// defaultPlan is the layer plan the main command makes with its defaults
// for the ONNX model m read from path (nil when it makes none), and why the
// main command refuses the model, in its words (nil when it takes it): a
// node one of its stages cannot run (importModel's check, for a run with
// --data: executor, trainer, packer), the model check's refusal
// (checkModel: the inputs, the outputs, a batch fixed inside the graph), a
// fixed batch, which it refuses when data runs through the model, or the
// plan's own error. A plan made for a refused model is still returned: its
// node names are what --keep-float takes once the model is fixed.
func defaultPlan(path string, m *ir.Model) ([]ir.LayerRecord, error) {
	for _, in := range m.Graph.DataInputs() {
		if err := checkInputType(in); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err) // as checkModel words it
		}
	}
	m, err := simplified(path, m)
	if err != nil {
		return nil, err
	}
	o := defaultCompressOptions()
	o.register(pflag.NewFlagSet("defaults", pflag.ContinueOnError)) // the flags' defaults into o
	o.In = path                                                     // plan's errors name the model
	refused := checkStages(m, []schema.Stage{schema.Executor, schema.Pack, schema.Trainer}, int64(o.MaxElements))
	if refused != nil {
		refused = fmt.Errorf("%s: %w", path, refused)
	} else {
		var mio modelIO
		if mio, _, refused = checkModel(path, m, infer.Options{MaxElements: o.MaxElements}); refused == nil {
			refused = mio.checkBatched()
		}
	}
	planned, err := o.plan(m, nil)
	if err != nil {
		return nil, cmp.Or(refused, err)
	}
	recs, err := planned.LayerRecords()
	return recs, cmp.Or(refused, err)
}

func summarize(path string, m *ir.Model) *ModelSummary {
	g := m.Graph
	s := &ModelSummary{
		Path: path, Producer: m.ProducerName, ProducerVersion: m.ProducerVersion,
		IRVersion: m.IRVersion, Opsets: map[string]int64{}, Ops: map[string]int{},
		Nodes: len(g.Nodes), BytesByDType: map[string]int64{},
	}
	for _, o := range m.OpsetImports {
		d := o.Domain
		if d == "" {
			d = "ai.onnx"
		}
		s.Opsets[d] = o.Version
	}
	for _, v := range g.DataInputs() {
		s.Inputs = append(s.Inputs, valueSummary(v))
	}
	for _, v := range g.Outputs {
		s.Outputs = append(s.Outputs, valueSummary(v))
	}
	for _, n := range g.Nodes {
		op := n.OpType
		if n.Domain != "" {
			op = n.Domain + "." + op
		}
		s.Ops[op]++
	}
	for _, t := range g.Initializers {
		n := int64(ir.NumElements(t.Shape))
		s.Parameters += n
		s.BytesByDType[t.DType.String()] += n * int64(t.DType.Size())
	}
	if len(m.Metadata) > 0 {
		s.Metadata = map[string]string{}
		for _, kv := range m.Metadata {
			s.Metadata[kv.Key] = kv.Value
		}
	}
	return s
}

func valueSummary(v *ir.ValueInfo) ValueSummary {
	out := ValueSummary{Name: v.Name, DType: v.DType.String()}
	if v.Shape != nil {
		out.Shape = []string{}
	}
	for _, d := range v.Shape {
		out.Shape = append(out.Shape, d.String())
	}
	return out
}

// shape is the declared shape as inspect prints it.
func (v ValueSummary) shape() string {
	if v.Shape == nil {
		return "(no declared shape)"
	}
	return "[" + strings.Join(v.Shape, " ") + "]"
}

func printSummary(w io.Writer, s *ModelSummary) error {
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintf(tw, "model\t%s\n", s.Path)
	fmt.Fprintf(tw, "producer\t%s %s\n", s.Producer, s.ProducerVersion)
	fmt.Fprintf(tw, "ir version\t%d\n", s.IRVersion)
	fmt.Fprintf(tw, "opsets\t%s\n", joinSorted(s.Opsets))
	for _, v := range s.Inputs {
		fmt.Fprintf(tw, "input\t%s %s %s\n", v.Name, v.DType, v.shape())
	}
	for _, v := range s.Outputs {
		fmt.Fprintf(tw, "output\t%s %s %s\n", v.Name, v.DType, v.shape())
	}
	fmt.Fprintf(tw, "nodes\t%d\n", s.Nodes)
	fmt.Fprintf(tw, "ops\t%s\n", joinSorted(s.Ops))
	fmt.Fprintf(tw, "parameters\t%d\n", s.Parameters)
	fmt.Fprintf(tw, "bytes\t%s\n", joinSorted(s.BytesByDType))
	if err := tw.Flush(); err != nil {
		return err
	}
	if s.Artifact != nil {
		return printArtifact(w, s.Artifact)
	}
	if s.ArtifactError != "" {
		_, err := fmt.Fprintf(w, "\n.bnn of an unknown version, described above as a plain ONNX model only (no layers, sizes or report): %s\n", s.ArtifactError)
		return err
	}
	if len(s.Plan) > 0 {
		if err := printPlan(w, s.Plan); err != nil {
			return err
		}
		if s.PlanError != "" {
			_, err := fmt.Fprintf(w, "\nrefused: %s\n", s.PlanError)
			return err
		}
		return nil
	}
	if s.PlanError != "" {
		_, err := fmt.Fprintf(w, "\nno layer plan: %s\n", s.PlanError)
		return err
	}
	return nil
}

// printPlan lists the default plan's layers under the names --keep-float
// takes.
func printPlan(w io.Writer, plan []ir.LayerRecord) error {
	fmt.Fprintln(w, "\nlayers the main command binarizes by default (--keep-float takes these names):")
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "node\top\tweight\tplan")
	for _, l := range plan {
		what := "binary"
		if !l.Binarized {
			what = "float: " + l.Reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", l.Node, l.Op, l.Shape, what)
	}
	return tw.Flush()
}

func joinSorted[V int | int64](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}
