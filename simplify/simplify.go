package simplify

import (
	"fmt"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// Report counts what Model changed.
type Report struct {
	Folded      int // nodes replaced by initializers
	Reshapes    int // Reshape targets made constant
	Passthrough int // Identity and Dropout nodes removed
	Dead        int // nodes no output depended on
}

// Changed reports whether anything was rewritten.
func (r Report) Changed() bool { return r.Folded+r.Reshapes+r.Passthrough+r.Dead > 0 }

// foldLimit bounds the elements of values the op layer folds while it
// infers; materialize decides which of them become initializers.
const foldLimit = 1 << 22

// Model returns the simplified model (see the package documentation) and
// what changed. m is not modified.
func Model(m *ir.Model) (*ir.Model, Report, error) {
	var rep Report
	if m == nil || m.Graph == nil {
		return nil, rep, fmt.Errorf("simplify: no graph")
	}
	res, err := schema.Infer(m, schema.Options{Eval: infer.Eval, FoldLimit: foldLimit})
	if err != nil {
		return nil, rep, fmt.Errorf("simplify: %w", err)
	}
	s := &state{m: m, res: res, out: shallow(m), used: m.Graph.Names(), alias: map[string]string{}}
	for _, n := range res.Nodes {
		s.node(n, &rep)
	}
	s.renameInputs()
	rep.Dead = s.dropDead()
	s.dropUnused()
	return s.out, rep, nil
}

// state is one simplification in progress.
type state struct {
	m     *ir.Model
	res   *schema.Result
	out   *ir.Model
	used  map[string]bool
	alias map[string]string // removed Identity/Dropout outputs → their input
	nodes []*ir.Node
}

// shallow copies the model and its graph's lists; tensors and nodes are
// shared until rewritten.
func shallow(m *ir.Model) *ir.Model {
	c := *m
	g := *m.Graph
	g.Nodes = nil
	g.Inputs = append([]*ir.ValueInfo(nil), g.Inputs...)
	g.Outputs = append([]*ir.ValueInfo(nil), g.Outputs...)
	g.ValueInfo = append([]*ir.ValueInfo(nil), g.ValueInfo...)
	g.Initializers = append([]*ir.Tensor(nil), g.Initializers...)
	c.Graph = &g
	return &c
}

// node decides what becomes of one node.
func (s *state) node(n *schema.Node, rep *Report) {
	switch {
	case s.foldable(n):
		for _, o := range n.Outputs {
			if o != "" {
				s.addInitializer(o, s.res.Values[o].Const)
			}
		}
		rep.Folded++
	case s.passthrough(n):
		s.alias[n.Outputs[0]] = n.Inputs[0]
		rep.Passthrough++
	default:
		if t := s.reshapeTarget(n); t != nil {
			c := *n.Node
			c.Inputs = []string{n.Inputs[0], t.Name}
			s.addInitializer(t.Name, t)
			s.nodes = append(s.nodes, &c)
			rep.Reshapes++
			return
		}
		s.nodes = append(s.nodes, n.Node)
	}
}

// foldable reports whether every output of n is a constant worth storing
// (small, or no larger than the constants it comes from: its constant
// inputs, or a Constant node's own value) and none is a graph output (whose
// producer stays, so names stay put).
func (s *state) foldable(n *schema.Node) bool {
	in := 0
	if c, ok := n.Attrs.(*schema.Constant); ok { // its value is in the file already
		in = c.Value.Len()
	}
	for _, name := range n.Inputs {
		if v := s.res.Values[name]; name != "" && v.Const != nil {
			in += v.Const.Len()
		}
	}
	for _, o := range n.Outputs {
		if o == "" {
			continue
		}
		v := s.res.Values[o]
		if v.Const == nil || s.isOutput(o) || v.Const.Len() > max(in, 1<<12) {
			return false
		}
	}
	return true
}

func (s *state) isOutput(name string) bool {
	for _, o := range s.m.Graph.Outputs {
		if o.Name == name {
			return true
		}
	}
	return false
}

// passthrough reports whether n is an Identity, or a Dropout that passes
// its input through (schema.DropoutModeOf: inference, or training with
// ratio 0) whose mask nothing reads, that can be removed. A random
// Dropout stays for Check to refuse.
func (s *state) passthrough(n *schema.Node) bool {
	if n.Op.Domain != "" || len(n.Outputs) == 0 || s.isOutput(n.Outputs[0]) {
		return false
	}
	switch n.OpType {
	case "Identity":
		return true
	case "Dropout":
		if len(n.Outputs) > 1 && n.Outputs[1] != "" && s.read(n.Outputs[1]) {
			return false
		}
		return schema.DropoutModeOf(n, s.res.Inputs(n)) == schema.DropoutIdentity
	}
	return false
}

// read reports whether a value is an input of some node or a graph output.
func (s *state) read(name string) bool {
	if s.isOutput(name) {
		return true
	}
	for _, n := range s.m.Graph.Nodes {
		for _, in := range n.Inputs {
			if in == name {
				return true
			}
		}
	}
	return false
}

// reshapeTarget returns a constant target for a Reshape whose target is
// known up to symbolic dims that are the input's dims at the same
// positions (they become 0: copy), or nil.
func (s *state) reshapeTarget(n *schema.Node) *ir.Tensor {
	if n.OpType != "Reshape" || n.Op.Domain != "" {
		return nil
	}
	a := n.Attrs.(*schema.Reshape)
	target, x := s.res.Values[n.Inputs[1]], s.res.Values[n.Inputs[0]]
	if target.Const != nil || target.Dims == nil || a.AllowZero {
		return nil
	}
	v := make([]int64, len(target.Dims))
	for i, d := range target.Dims {
		switch {
		case d.Param == "":
			v[i] = d.Size
		case i < len(x.Shape) && d.Param != "?" && x.Shape[i].Param == d.Param:
			v[i] = 0
		default:
			return nil
		}
	}
	return ir.NewInt64(ir.UniqueName(s.used, n.Inputs[1]+"_const"), []int{len(v)}, v)
}

// addInitializer stores a folded value under name (a graph input too, as
// IR versions before 4 require of every initializer).
func (s *state) addInitializer(name string, t *ir.Tensor) {
	c := *t
	c.Name = name
	g := s.out.Graph
	g.Initializers = append(g.Initializers, &c)
	if s.m.IRVersion > 0 && s.m.IRVersion < 4 {
		g.Inputs = append(g.Inputs, &ir.ValueInfo{Name: name, DType: c.DType, Shape: schema.Dims(c.Shape)})
	}
}

// renameInputs points readers of removed pass-through nodes at their
// inputs.
func (s *state) renameInputs() {
	resolve := func(name string) string {
		for {
			next, ok := s.alias[name]
			if !ok {
				return name
			}
			name = next
		}
	}
	for i, n := range s.nodes {
		changed := false
		in := append([]string(nil), n.Inputs...)
		for j, name := range in {
			if r := resolve(name); r != name {
				in[j], changed = r, true
			}
		}
		if changed {
			c := *n
			c.Inputs = in
			s.nodes[i] = &c
		}
	}
}

// dropDead keeps the nodes the graph outputs depend on and returns how
// many it removed.
func (s *state) dropDead() int {
	need := map[string]bool{}
	for _, o := range s.out.Graph.Outputs {
		need[o.Name] = true
	}
	keep := make([]bool, len(s.nodes))
	for i := len(s.nodes) - 1; i >= 0; i-- {
		n := s.nodes[i]
		for _, o := range n.Outputs {
			keep[i] = keep[i] || need[o]
		}
		if keep[i] {
			for _, in := range n.Inputs {
				need[in] = true
			}
		}
	}
	var out []*ir.Node
	for i, n := range s.nodes {
		if keep[i] {
			out = append(out, n)
		}
	}
	s.out.Graph.Nodes = out
	return len(s.nodes) - len(out)
}

// dropUnused removes initializers (and their graph input entries) and
// value_info entries that nothing refers to any more; data inputs stay.
func (s *state) dropUnused() {
	g := s.out.Graph
	ref := map[string]bool{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			ref[in] = true
		}
		for _, o := range n.Outputs {
			ref[o] = true
		}
	}
	for _, o := range g.Outputs {
		ref[o.Name] = true
	}
	inits := map[string]bool{}
	var keptInits []*ir.Tensor
	for _, t := range g.Initializers {
		if ref[t.Name] {
			keptInits = append(keptInits, t)
		}
		inits[t.Name] = true
	}
	g.Initializers = keptInits
	var inputs []*ir.ValueInfo
	for _, v := range g.Inputs {
		if ref[v.Name] || !inits[v.Name] {
			inputs = append(inputs, v)
		}
	}
	g.Inputs = inputs
	var info []*ir.ValueInfo
	for _, v := range g.ValueInfo {
		if ref[v.Name] && !inits[v.Name] {
			info = append(info, v)
		}
	}
	g.ValueInfo = info
}
