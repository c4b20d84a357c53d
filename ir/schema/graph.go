package schema

import (
	"errors"
	"fmt"

	"github.com/bincompress/bincompress/ir"
)

// Options steer Infer.
type Options struct {
	// Inputs gives the shapes of data inputs; an input missing here has
	// the shape the graph declares. A declared dim with neither size nor
	// name stands for an unknown size of its own.
	Inputs map[string][]ir.Dim
	// Eval, when set, computes a node whose inputs are all known, so that
	// constant subgraphs fold (the simplifier passes the executor's). A
	// node it refuses with ErrUnsupported is left unfolded.
	Eval func(n *Node, in []*ir.Tensor) ([]*ir.Tensor, error)
	// FoldLimit is the most elements a folded output may have (default
	// 1<<16): larger constants are left to run time.
	FoldLimit int
	// MaxElements bounds every value (default DefaultMaxElements).
	MaxElements int64
}

// Result is what Infer knows about every value of a graph.
type Result struct {
	Values map[string]Value
	Nodes  []*Node // the graph's nodes, bound, in order
}

// Infer binds every node of m and infers every value's type and shape,
// and the contents of what is constant (initializers that are not graph
// inputs, Constants, shape arithmetic, and, with Eval, any node whose
// inputs are all constant). Errors name the node.
func Infer(m *ir.Model, opts Options) (*Result, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("schema: no graph")
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	nodes, err := BindModel(m)
	if err != nil {
		return nil, err
	}
	return inferNodes(m, nodes, opts)
}

func inferNodes(m *ir.Model, nodes []*Node, opts Options) (*Result, error) {
	if opts.FoldLimit == 0 {
		opts.FoldLimit = 1 << 16
	}
	if opts.MaxElements == 0 {
		opts.MaxElements = DefaultMaxElements
	}
	res := &Result{Values: map[string]Value{}, Nodes: nodes}
	if err := res.bind(m, opts); err != nil {
		return nil, err
	}
	for _, n := range nodes {
		if err := res.step(n, opts); err != nil {
			return nil, fmt.Errorf("schema: node %s (%s): %w", n.Label, n.OpType, err)
		}
	}
	return res, nil
}

// bind records initializers and graph inputs. An initializer that is
// also a graph input can be overridden, so its contents are not constant
// (from IR version 4; before, every initializer had to be an input, and
// onnxruntime treats them as constants too).
func (r *Result) bind(m *ir.Model, opts Options) error {
	g := m.Graph
	overridable := m.IRVersion == 0 || m.IRVersion >= 4
	inputs := map[string]*ir.ValueInfo{}
	for _, v := range g.Inputs {
		inputs[v.Name] = v
	}
	for _, t := range g.Initializers {
		if err := checkSize(Dims(t.Shape), opts.MaxElements); err != nil {
			return fmt.Errorf("schema: initializer %q: %w", t.Name, err)
		}
		v := Concrete(t)
		if _, ok := inputs[t.Name]; ok && overridable {
			v.Const = nil
		}
		r.Values[t.Name] = v
	}
	anon := 0
	for _, in := range g.DataInputs() {
		shape := in.Shape
		if s, ok := opts.Inputs[in.Name]; ok {
			shape = s
		}
		if shape != nil {
			shape = clone(shape)
			for i, d := range shape {
				if !d.Known() && d.Param == "" {
					anon++
					shape[i] = ir.Dim{Size: -1, Param: fmt.Sprintf("unk__%d", anon)}
				}
			}
		}
		if err := checkSize(shape, opts.MaxElements); err != nil {
			return fmt.Errorf("schema: input %q: %w", in.Name, err)
		}
		if in.DType != ir.Undefined && !in.DType.Supported() {
			return fmt.Errorf("schema: input %q: element type %v: %w", in.Name, in.DType, ErrUnsupported)
		}
		r.Values[in.Name] = Value{DType: in.DType, Shape: shape}
	}
	return nil
}

// Inputs returns a node's input values, the zero Value for omitted ones.
func (r *Result) Inputs(n *Node) []Value {
	in := make([]Value, len(n.Inputs))
	for i, name := range n.Inputs {
		if name != "" {
			in[i] = r.Values[name]
		}
	}
	return in
}

// step infers one node's outputs and folds it when it can.
func (r *Result) step(n *Node, opts Options) error {
	in := r.Inputs(n)
	for i, v := range in {
		if n.Input(i) != "" && v.Shape == nil {
			return r.setUnknown(n) // nothing to say without the input's rank
		}
	}
	out, err := n.Infer(in)
	if err != nil {
		return err
	}
	for i, v := range out {
		if err := checkSize(v.Shape, opts.MaxElements); err != nil {
			return fmt.Errorf("output %d: %w", i, err)
		}
	}
	if opts.Eval != nil {
		if err := fold(n, in, out, opts); err != nil {
			return err
		}
	}
	for i, name := range n.Outputs {
		if name == "" {
			continue
		}
		if i >= len(out) {
			return fmt.Errorf("output %d (%q) is not one the op produces", i, name)
		}
		r.Values[name] = out[i]
	}
	return nil
}

func (r *Result) setUnknown(n *Node) error {
	for _, name := range n.Outputs {
		if name != "" {
			r.Values[name] = Value{}
		}
	}
	return nil
}

// fold computes a node whose inputs are all constant with opts.Eval, when
// its outputs are small, and checks the results against the inferred
// shapes.
func fold(n *Node, in, out []Value, opts Options) error {
	consts := make([]*ir.Tensor, len(in))
	for i, v := range in {
		if n.Input(i) == "" {
			continue
		}
		if v.Const == nil {
			return nil
		}
		consts[i] = v.Const
	}
	todo := false
	for i, v := range out {
		if i < len(n.Outputs) && n.Outputs[i] != "" && v.Const == nil {
			shape, ok := v.Fixed()
			if !ok || ir.NumElements(shape) > opts.FoldLimit {
				return nil
			}
			todo = true
		}
	}
	if !todo {
		return nil
	}
	got, err := opts.Eval(n, consts)
	if errors.Is(err, ErrUnsupported) {
		return nil // left to whatever stage runs it
	}
	if err != nil {
		return err
	}
	for i := range out {
		if i >= len(n.Outputs) || n.Outputs[i] == "" || out[i].Const != nil {
			continue
		}
		if i >= len(got) || got[i] == nil {
			return fmt.Errorf("folding produced no output %d", i)
		}
		want, _ := out[i].Fixed()
		if got[i].DType != out[i].DType || fmt.Sprint(got[i].Shape) != fmt.Sprint(want) {
			return fmt.Errorf("folding output %d gave %v%v, the op layer infers %v%v", i, got[i].DType, got[i].Shape, out[i].DType, want)
		}
		out[i].Const, out[i].Dims = got[i], nil
	}
	return nil
}
