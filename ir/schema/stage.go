package schema

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bincompress/bincompress/ir"
)

// Stage is a part of bincompress that runs or rewrites graphs. Each
// stage's own op table is held to the op layer's by a test in the stage's
// package, so what Supports says is what the stage does.
type Stage string

// The stages, in the order docs/OPERATORS.md lists them.
const (
	Executor      Stage = "executor"           // package infer
	Trainer       Stage = "trainer"            // package finetune
	TrainerDevice Stage = "GPU trainer"        // finetune on a device backend (CheckDevice)
	CExport       Stage = "C export"           // export.C
	ONNXExport    Stage = "ONNX export"        // export.ONNX
	PackedExport  Stage = "packed ONNX export" // export.ONNXPacked
	QONNXExport   Stage = "QONNX export"       // export.QONNX
	Pack          Stage = "packer"             // package pack
)

// TrainerDevice's ops are the trainer's whose autograd code does all its
// arithmetic through backend.Backend, so they run on a GPU too; a subset
// of Trainer's (TestDeviceSubset).

// Stages lists every stage in table order.
var Stages = []Stage{Executor, Trainer, TrainerDevice, CExport, ONNXExport, PackedExport, QONNXExport, Pack}

// StageSet is a set of stages.
type StageSet uint16

func (s StageSet) Has(st Stage) bool {
	for i, x := range Stages {
		if x == st {
			return s&(1<<i) != 0
		}
	}
	return false
}

// Short stage bits for the op tables.
const (
	ex StageSet = 1 << iota // executor
	tr                      // trainer
	td                      // GPU trainer
	cx                      // C export
	ox                      // ONNX export
	px                      // packed ONNX export
	qx                      // QONNX export
	pk                      // packer
	// passes are the stages that copy an ordinary op unchanged.
	passes = ox | px | qx | pk
)

// Supports reports whether stage implements op at opset.
func Supports(st Stage, op *Op, opset int64) bool {
	return op != nil && op.Covers(opset) && op.stages.Has(st)
}

// StageOps lists the ops a stage implements as "domain/Type" (just
// "Type" for ai.onnx), sorted: what a stage's own table must equal.
func StageOps(st Stage) []string {
	var out []string
	for _, op := range Ops() {
		if op.stages.Has(st) {
			out = append(out, QualifiedName(op.Domain, op.Type))
		}
	}
	return out
}

// QualifiedName is "Type" for ai.onnx and "domain/Type" otherwise.
func QualifiedName(domain, opType string) string {
	if d := normDomain(domain); d != "" {
		return d + "/" + opType
	}
	return opType
}

// CheckElements is the most elements Check lets a value have, counting
// its known dims only (per item of a symbolic batch): 2^28, 1 GiB of
// float32 for one image, far beyond any ResNet's largest activation, so a
// model whose shapes explode (a Conv padded by 12,496) is refused before
// anything is allocated. It is the executor's default limit too.
const CheckElements = 1 << 28

// Check returns the first reason the given stages cannot handle m: an
// op unknown to the op layer or to a stage (*UnsupportedOpError, naming
// op, node and stage), a badly typed or unknown attribute (*AttrError),
// a node whose inputs do not fit it, or a value of absurd size
// (CheckElements), for the data input shapes the graph declares. Commands
// call it, or CheckLimit, before writing anything.
func Check(m *ir.Model, stages ...Stage) error {
	return CheckLimit(m, CheckElements, stages...)
}

// CheckLimit is Check with values bounded by maxElements instead of
// CheckElements (<= 0 keeps CheckElements): a command that lets its
// executor allocate more (--max-elements) checks with the same limit, so
// the check refuses no model the run would take.
func CheckLimit(m *ir.Model, maxElements int64, stages ...Stage) error {
	if maxElements <= 0 {
		maxElements = CheckElements
	}
	if m == nil || m.Graph == nil {
		return fmt.Errorf("schema: no graph")
	}
	nodes, err := BindModel(m)
	if err != nil {
		return err
	}
	var folded map[*Node]bool
	if slices.Contains(stages, CExport) {
		if folded, err = foldedForOneImage(m, nodes); err != nil {
			return err
		}
	}
	for _, n := range nodes {
		for _, st := range stages {
			if !Supports(st, n.Op, n.Opset) && !(st == CExport && folded[n] && Supports(Executor, n.Op, n.Opset)) {
				return &UnsupportedOpError{Op: n.OpType, Domain: normDomain(n.Domain), Opset: n.Opset, Node: n.Label, Stage: st}
			}
		}
	}
	res, err := inferNodes(m, nodes, Options{MaxElements: maxElements})
	if err != nil {
		return err
	}
	for _, n := range nodes {
		in := res.Inputs(n)
		for _, st := range stages {
			if lim := n.Op.limits[st]; lim != nil {
				if reason := lim(n, in); reason != "" {
					return &UnsupportedOpError{Op: n.OpType, Domain: normDomain(n.Domain), Opset: n.Opset, Node: n.Label, Stage: st, Reason: reason}
				}
			}
		}
	}
	return nil
}

// foldedForOneImage marks the nodes whose outputs or inputs are all
// constant for a batch of one (Shape of the input, what depends only on
// constants): the C export evaluates them with the executor at export
// time, so they need no C code.
func foldedForOneImage(m *ir.Model, nodes []*Node) (map[*Node]bool, error) {
	opts := Options{Inputs: map[string][]ir.Dim{}}
	for _, in := range m.Graph.DataInputs() {
		if len(in.Shape) > 0 {
			opts.Inputs[in.Name] = append([]ir.Dim{known(1)}, in.Shape[1:]...)
		}
	}
	res, err := inferNodes(m, nodes, opts)
	if err != nil {
		return nil, OneImageError(m, err)
	}
	constant := map[string]bool{}
	for name, v := range res.Values {
		constant[name] = v.Const != nil
	}
	out := map[*Node]bool{}
	for _, n := range nodes {
		ins, outs := true, true
		for _, in := range n.Inputs {
			ins = ins && (in == "" || constant[in])
		}
		for _, o := range n.Outputs {
			outs = outs && (o == "" || constant[o])
		}
		if ins || outs {
			out[n] = true
			for _, o := range n.Outputs {
				constant[o] = true
			}
		}
	}
	return out, nil
}

// OneImageError is err, the failure to infer m's shapes for a batch of one
// image, as the C export reports it: the model is valid (it runs at the
// batch it declares) but not for the C target, which runs one image at a
// time, so it matches ErrUnsupported (inspect reports the target as
// unsupported). An input whose batch is fixed at another size gets a hint:
// the exporter likely baked that batch into the graph.
func OneImageError(m *ir.Model, err error) error {
	hint := ""
	for _, in := range m.Graph.DataInputs() {
		if len(in.Shape) > 0 && in.Shape[0].Known() && in.Shape[0].Size != 1 {
			b := in.Shape[0].Size
			hint = fmt.Sprintf("; input %q has a fixed batch of %d, which the graph may have baked in (a Reshape to [%d, -1]): export the source model with the batch symbolic throughout (torch.onnx.export(..., dynamic_axes=...)) and compress it again", in.Name, b, b)
			break
		}
	}
	return fmt.Errorf("schema: %w: the %s runs one image at a time, and the model does not run on one image: %w%s", ErrUnsupported, CExport, err, hint)
}

// Unsupported lists every node of m that one of the stages cannot handle,
// one *UnsupportedOpError per node and stage, for reports that must not
// fail (inspect).
func Unsupported(m *ir.Model, stages ...Stage) []error {
	nodes, err := BindModel(m)
	if err != nil {
		return []error{err}
	}
	var out []error
	for _, n := range nodes {
		for _, st := range stages {
			if !Supports(st, n.Op, n.Opset) {
				out = append(out, &UnsupportedOpError{Op: n.OpType, Domain: normDomain(n.Domain), Opset: n.Opset, Node: n.Label, Stage: st})
			}
		}
	}
	return out
}

// stageList is the stages of a set, for messages and docs.
func (s StageSet) String() string {
	var names []string
	for _, st := range Stages {
		if s.Has(st) {
			names = append(names, string(st))
		}
	}
	return strings.Join(names, ", ")
}

// CompareTable checks a stage's own op table ("domain/Type" names, as
// QualifiedName gives them) against the ops the op layer lists for it, in
// both directions; each stage's tests call it.
func CompareTable(st Stage, have []string) error {
	want := StageOps(st)
	var diffs []string
	for _, op := range have {
		if !slices.Contains(want, op) {
			diffs = append(diffs, fmt.Sprintf("the %s implements %s, which the op layer does not list for it", st, op))
		}
	}
	for _, op := range want {
		if !slices.Contains(have, op) {
			diffs = append(diffs, fmt.Sprintf("the op layer lists %s for the %s, which has no implementation", op, st))
		}
	}
	if diffs != nil {
		slices.Sort(diffs)
		return fmt.Errorf("schema: %s", strings.Join(diffs, "; "))
	}
	return nil
}

// TableNames lists the ops of a stage's table of tables (domain → op type
// → implementation) as QualifiedName gives them, for CompareTable.
func TableNames[T any](domains map[string]map[string]T) []string {
	var out []string
	for d, ops := range domains {
		for op := range ops {
			out = append(out, QualifiedName(d, op))
		}
	}
	return out
}
