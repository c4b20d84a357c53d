package export

import (
	"fmt"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// storage is one buffer of the C workspace: the values that share it
// (through aliasing or in-place ops), its size in floats, the steps at which
// it is first written and last read, and its offset in floats.
type storage struct {
	floats, first, last, offset int
	external                    bool // the caller's input array
}

// plan is the C target's view of a .bnn: the nodes that feed the output,
// static shapes for one image, constants, and where every run-time value
// lives.
type plan struct {
	m          *ir.Model
	input      string
	output     string
	shapes     map[string][]int
	consts     map[string]*ir.Tensor
	nodes      []*ir.Node
	store      map[string]*storage
	storages   []*storage
	layers     map[*ir.Node]*binLayer
	bound      map[*ir.Node]*schema.Node // the op layer's reading of each node
	wsFloats   int
	lastUse    map[string]int
	inputShape []int
}

// newPlan checks m, infers shapes for a batch of one and plans the
// workspace.
func newPlan(m *ir.Model) (*plan, error) {
	layers, err := binaryLayers(m)
	if err != nil {
		return nil, err
	}
	p := &plan{m: m, consts: map[string]*ir.Tensor{}, store: map[string]*storage{}, layers: map[*ir.Node]*binLayer{}}
	for _, l := range layers {
		p.layers[l.node] = l
	}
	if err := p.ends(); err != nil {
		return nil, err
	}
	if err := p.inferValues(); err != nil {
		return nil, err
	}
	if err := p.selectNodes(); err != nil {
		return nil, err
	}
	p.liveness()
	p.place()
	return p, nil
}

// ends finds the one float data input and the one output. A model the C
// target cannot take is schema.ErrUnsupported, as an op it lacks is, so
// that inspect reports the target as unsupported instead of failing.
func (p *plan) ends() error {
	g := p.m.Graph
	ins := g.DataInputs()
	if len(ins) != 1 || len(g.Outputs) != 1 {
		return fmt.Errorf("export: %w: the C target needs one data input and one output, the model has %d and %d", schema.ErrUnsupported, len(ins), len(g.Outputs))
	}
	if ins[0].DType != ir.Float32 || len(ins[0].Shape) == 0 {
		return fmt.Errorf("export: %w: input %q is %v of rank %d, the C target needs a float32 tensor with a batch dimension", schema.ErrUnsupported, ins[0].Name, ins[0].DType, len(ins[0].Shape))
	}
	p.input, p.output = ins[0].Name, g.Outputs[0].Name
	p.inputShape = []int{1}
	for i, d := range ins[0].Shape[1:] {
		if !d.Known() {
			return fmt.Errorf("export: %w: input %q dimension %d is not fixed (%s); the C target needs a static shape apart from the batch", schema.ErrUnsupported, ins[0].Name, i+1, d.Param)
		}
		p.inputShape = append(p.inputShape, int(d.Size))
	}
	return nil
}

// inferValues runs the op layer's inference for a batch of one, folding
// with the executor every node whose inputs are then constant (shape
// subgraphs, ConstantOfShape, weights rearranged by Transpose, ...): those
// need no C code. It records every value's shape and every constant.
func (p *plan) inferValues() error {
	res, err := schema.Infer(p.m, schema.Options{
		Inputs:    map[string][]ir.Dim{p.input: schema.Dims(p.inputShape)},
		Eval:      infer.Eval,
		FoldLimit: 1 << 22,
	})
	if err != nil {
		return fmt.Errorf("export: %w", schema.OneImageError(p.m, err))
	}
	p.shapes, p.bound = map[string][]int{}, map[*ir.Node]*schema.Node{}
	for name, v := range res.Values {
		if s, ok := v.Fixed(); ok {
			p.shapes[name] = s
		}
		if v.Const != nil {
			p.consts[name] = v.Const
		}
	}
	for _, t := range p.m.Graph.Initializers { // the C target has no way to override one
		p.consts[t.Name] = t
	}
	for _, n := range res.Nodes {
		p.bound[n.Node] = n
	}
	return nil
}

// isData reports whether a value is computed at run time (the input or a
// node's output, not a constant).
func (p *plan) isData(name string) bool {
	_, c := p.consts[name]
	return name != "" && !c
}

// selectNodes keeps, in graph order, the nodes the output depends on
// through data inputs; nodes whose outputs are constant for one image
// (shape subgraphs, Constants) drop out because inferValues computed them.
// An op without a C implementation is an error only if it is needed.
func (p *plan) selectNodes() error {
	needed := map[string]bool{p.output: true}
	var keep []*ir.Node
	for i := len(p.m.Graph.Nodes) - 1; i >= 0; i-- {
		n := p.m.Graph.Nodes[i]
		if !producesAny(n, needed) || p.folded(n) {
			continue
		}
		op, ok := lookupCOp(n)
		if b := p.bound[n]; !ok || !schema.Supports(schema.CExport, b.Op, b.Opset) {
			return &schema.UnsupportedOpError{Op: n.OpType, Domain: b.Op.Domain, Opset: b.Opset, Node: b.Label, Stage: schema.CExport}
		}
		for _, j := range op.dataInputs(n) {
			if in := n.Input(j); p.isData(in) {
				needed[in] = true
			}
		}
		keep = append(keep, n)
	}
	for i, j := 0, len(keep)-1; i < j; i, j = i+1, j-1 {
		keep[i], keep[j] = keep[j], keep[i]
	}
	p.nodes = keep
	for _, n := range keep {
		for _, o := range n.Outputs[1:] {
			if o != "" && needed[o] {
				return fmt.Errorf("export: node %q (%s): the C target computes only its first output, but %q is used", n.Name, n.OpType, o)
			}
		}
	}
	return nil
}

// folded reports whether every output of n is a constant for one image.
func (p *plan) folded(n *ir.Node) bool {
	for _, o := range n.Outputs {
		if _, ok := p.consts[o]; o != "" && !ok {
			return false
		}
	}
	return true
}

func producesAny(n *ir.Node, set map[string]bool) bool {
	for _, o := range n.Outputs {
		if set[o] {
			return true
		}
	}
	return false
}

// liveness assigns storages: a new buffer per output, except that alias ops
// (Reshape, Flatten, ...) share their input's and element-wise ops reuse an
// input that dies at that node and has the output's size.
func (p *plan) liveness() {
	p.lastUse = map[string]int{p.output: len(p.nodes)}
	for i, n := range p.nodes {
		op, _ := lookupCOp(n)
		for _, j := range op.dataInputs(n) {
			if in := n.Input(j); p.isData(in) {
				p.lastUse[in] = max(p.lastUse[in], i)
			}
		}
	}
	in := &storage{floats: ir.NumElements(p.inputShape), external: true}
	p.attach(p.input, in)
	for i, n := range p.nodes {
		out := n.Outputs[0]
		if s := p.reuse(n, i); s != nil {
			p.attach(out, s)
			continue
		}
		s := &storage{floats: ir.NumElements(p.shapes[out]), first: i}
		p.storages = append(p.storages, s)
		p.attach(out, s)
	}
}

func (p *plan) attach(name string, s *storage) {
	p.store[name] = s
	s.last = max(s.last, p.lastUse[name])
}

// reuse returns the storage node i's output may share, or nil.
func (p *plan) reuse(n *ir.Node, i int) *storage {
	op, _ := lookupCOp(n)
	size := ir.NumElements(p.shapes[n.Outputs[0]])
	switch op.kind {
	case kindAlias:
		return p.store[n.Input(0)] // nil for a constant input: emitAlias refuses it
	case kindInPlace:
		for _, j := range op.dataInputs(n) {
			in := n.Input(j)
			if s := p.store[in]; p.isData(in) && s != nil && !s.external && s.last <= i && ir.NumElements(p.shapes[in]) == size {
				return s
			}
		}
	}
	return nil
}

// place gives each workspace buffer the lowest offset (in floats, a
// multiple of 4 for 16-byte alignment) that overlaps no buffer alive at the
// same time, in order of first use.
func (p *plan) place() {
	var placed []*storage
	for _, s := range p.storages {
		off := 0
		for moved := true; moved; {
			moved = false
			for _, o := range placed {
				if o.first <= s.last && s.first <= o.last && off < o.offset+o.floats && o.offset < off+s.floats {
					off, moved = align4(o.offset+o.floats), true
				}
			}
		}
		s.offset = off
		placed = append(placed, s)
		p.wsFloats = max(p.wsFloats, align4(off+s.floats))
	}
}

func align4(n int) int { return (n + 3) &^ 3 }
