package infer

import (
	"fmt"
	"sort"
	"sync"
	"unsafe"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// Program is a compiled model, ready to run. It is immutable and safe for
// concurrent use.
type Program struct {
	model   *ir.Model
	steps   []step // one per node, in graph order
	fused   []step // steps with Add and Relu folded into convolutions: what Run runs
	nslots  int
	consts  []constSlot
	inputs  []inputSpec
	outputs []outputSpec
	// constPtr holds the backing arrays of initializers and constant
	// attributes, so that an output aliasing one is copied before it leaves.
	constPtr map[unsafe.Pointer]bool
	opts     Options
	// pools keeps each run's freed buffers for the next run, so a model run
	// batch after batch does not fault in fresh memory every time.
	pools sync.Pool
	// int8Weights caches each BinaryConv node's constant weights laid out
	// for the int8 kernel (*ir.Node → *kernels.Int8Weights).
	int8Weights sync.Map
	// signClasses caches each BinaryConv node's constant weights sorted for
	// the float kernel (*ir.Node → *kernels.SignClasses).
	signClasses sync.Map
}

// step is one node resolved to its implementation.
type step struct {
	node  *schema.Node // the node with its op layer entry and attributes
	label string       // node name, or #index when unnamed
	run   opFunc
	in    []int // value slots, -1 for an omitted input
	out   []int // value slots, -1 for an omitted output
	free  []int // slots read for the last time by this step
	fused fusion
	// override replaces inputs by constants made at compile time (a
	// folded BatchNormalization's weights); nil entries read the slots.
	override []*ir.Tensor
}

type constSlot struct {
	slot int
	t    *ir.Tensor
}

type inputSpec struct {
	name     string
	slot     int
	dtype    ir.DType
	shape    []ir.Dim // nil when the rank is unknown
	optional bool     // backed by an initializer
}

type outputSpec struct {
	name string
	slot int
}

// Options change how a Program computes.
type Options struct {
	// Int8Activations runs the binary convolutions (ai.bincompress
	// BinaryConv) with their input quantized to int8 per tensor at run time
	// (internal/kernels.BinaryConv2DInt8): faster, slightly less exact.
	Int8Activations bool
	// MaxElements bounds the elements of any one tensor a run allocates;
	// 0 means DefaultMaxElements (limits.go).
	MaxElements int
}

// Compile validates m and resolves every node to an implementation for the
// opset m imports for the node's domain. A node without one yields a
// *schema.UnsupportedOpError; attributes are read strictly by the op
// layer (a wrongly typed one is a *schema.AttrError).
func Compile(m *ir.Model) (*Program, error) {
	return CompileWith(m, Options{})
}

// CompileWith is Compile with options.
func CompileWith(m *ir.Model, opts Options) (*Program, error) {
	if m == nil {
		return nil, fmt.Errorf("infer: nil model")
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("infer: %w", err)
	}
	p := &Program{model: m, constPtr: map[unsafe.Pointer]bool{}, opts: opts}
	sl := slots{}
	if err := p.bindGraph(m.Graph, sl); err != nil {
		return nil, err
	}
	for i, n := range m.Graph.Nodes {
		st, err := p.resolve(m, n, i)
		if err != nil {
			return nil, err
		}
		st.in, st.out = sl.list(n.Inputs), sl.list(n.Outputs)
		p.steps = append(p.steps, st)
	}
	for _, o := range m.Graph.Outputs {
		p.outputs = append(p.outputs, outputSpec{o.Name, sl.of(o.Name)})
	}
	p.nslots = len(sl)
	keep := map[int]bool{}
	for _, o := range p.outputs {
		keep[o.slot] = true
	}
	consts := map[int]*ir.Tensor{} // initializers a caller cannot override
	for _, c := range p.consts {
		consts[c.slot] = c.t
	}
	for _, in := range p.inputs {
		delete(consts, in.slot)
	}
	for _, st := range p.steps { // PyTorch passes weights through Identity
		if st.node.OpType == "Identity" && st.node.Op.Domain == "" && len(st.in) == 1 && len(st.out) == 1 {
			if t, ok := consts[st.in[0]]; ok && st.out[0] >= 0 {
				consts[st.out[0]] = t
			}
		}
	}
	p.fused = fuse(p.steps, keep, consts)
	p.planFrees(p.steps)
	p.planFrees(p.fused)
	return p, nil
}

// slots numbers the values of a graph.
type slots map[string]int

func (s slots) of(name string) int {
	i, ok := s[name]
	if !ok {
		i = len(s)
		s[name] = i
	}
	return i
}

// list maps names to slots, -1 for an omitted ("") name.
func (s slots) list(names []string) []int {
	out := make([]int, len(names))
	for i, name := range names {
		out[i] = -1
		if name != "" {
			out[i] = s.of(name)
		}
	}
	return out
}

// bindGraph records the initializers and graph inputs.
func (p *Program) bindGraph(g *ir.Graph, sl slots) error {
	for _, t := range g.Initializers {
		if _, err := numElements(t.Shape); err != nil {
			return fmt.Errorf("infer: initializer %q: %w", t.Name, err)
		}
		p.consts = append(p.consts, constSlot{sl.of(t.Name), t})
		p.markConst(t)
	}
	inits := g.InitializerMap()
	for _, v := range g.Inputs {
		_, opt := inits[v.Name]
		p.inputs = append(p.inputs, inputSpec{v.Name, sl.of(v.Name), v.DType, v.Shape, opt})
	}
	return nil
}

// resolve binds node n through the op layer and finds its implementation.
func (p *Program) resolve(m *ir.Model, n *ir.Node, i int) (step, error) {
	label := schema.Label(n, i)
	b, err := schema.Bind(n, m.Opset(n.Domain), label)
	if err != nil {
		return step{}, err
	}
	run, ok := domains[b.Op.Domain][n.OpType]
	if !ok || !schema.Supports(schema.Executor, b.Op, b.Opset) {
		return step{}, &schema.UnsupportedOpError{Op: n.OpType, Domain: b.Op.Domain, Opset: b.Opset, Node: label, Stage: schema.Executor}
	}
	for _, a := range n.Attrs {
		switch {
		case a.Type == ir.AttrTensor && a.T != nil:
			p.markConst(a.T)
		case a.Type == ir.AttrFloats || a.Type == ir.AttrInts:
			p.markConst(&ir.Tensor{Data: a.Floats})
			p.markConst(&ir.Tensor{Data: a.Ints})
		}
	}
	return step{node: b, label: label, run: run}, nil
}

func (p *Program) markConst(t *ir.Tensor) {
	if ptr := dataPtr(t.Data); ptr != nil {
		p.constPtr[ptr] = true
	}
}

// planFrees records, for each step, the values it reads for the last time
// (or produces without anyone reading them), so Run can drop them early.
// Graph outputs and initializers are never freed.
func (p *Program) planFrees(steps []step) {
	keep := map[int]bool{}
	for _, o := range p.outputs {
		keep[o.slot] = true
	}
	for _, c := range p.consts {
		keep[c.slot] = true
	}
	last := map[int]int{}
	for i, st := range steps {
		reads := st.in
		if st.fused.addStep != nil {
			reads = append(reads[:len(reads):len(reads)], st.fused.add)
		}
		for _, s := range append(st.out[:len(st.out):len(st.out)], reads...) {
			if s >= 0 {
				last[s] = i
			}
		}
	}
	for s, i := range last {
		if !keep[s] {
			steps[i].free = append(steps[i].free, s)
		}
	}
	for i := range steps {
		sort.Ints(steps[i].free)
	}
}

// Inputs lists the names of the graph inputs a caller must feed (those not
// backed by an initializer), in graph order.
func (p *Program) Inputs() []string {
	var names []string
	for _, in := range p.inputs {
		if !in.optional {
			names = append(names, in.name)
		}
	}
	return names
}

// Outputs lists the graph output names in graph order.
func (p *Program) Outputs() []string {
	names := make([]string, len(p.outputs))
	for i, o := range p.outputs {
		names[i] = o.name
	}
	return names
}
