package finetune

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// actFusion runs, at an anchor node, an activation PyTorch exports as
// several nodes, as one autograd op that keeps only its input x (a float on
// an exact tape, codes when compressing) where the chain would keep several
// tensors: SiLU = x·Sigmoid(x), HardSwish = x·HardSigmoid(x, 1/6, 1/2)
// (opsets below 14) and GELU = (x·(Erf(x/√2) + 1))·0.5. The chain's other
// nodes are absorbed: they do not run.
type actFusion struct {
	x  string
	op func(*autograd.Tape, *autograd.Tensor) *autograd.Tensor
}

func (f actFusion) run(r *run, nd *ir.Node) error {
	v, ok := r.get(f.x)
	if !ok || v.t == nil {
		return fmt.Errorf("input %q is not a float tensor", f.x)
	}
	return r.set(nd, f.op(r.tp, v.t))
}

// planActivations finds the chains actFusion covers. A chain fuses only
// when its inner values have no other reader, so nothing else needs them.
func (n *net) planActivations() {
	n.acts, n.absorbed = map[*ir.Node]actFusion{}, map[*ir.Node]*ir.Node{}
	g := chainGraph{n: n, readers: map[string][]*ir.Node{}, producer: map[string]*ir.Node{}}
	for _, nd := range n.nodes {
		for _, in := range nd.Inputs {
			g.readers[in] = append(g.readers[in], nd)
		}
		for _, out := range nd.Outputs {
			g.producer[out] = nd
		}
	}
	for _, nd := range n.nodes {
		if nd.OpType != "Mul" || len(nd.Inputs) != 2 || n.absorbed[nd] != nil {
			continue
		}
		for k := range 2 {
			if g.gated(nd, k) || g.gelu(nd, k) {
				break
			}
		}
	}
	n.moveReleases()
}

type chainGraph struct {
	n        *net
	readers  map[string][]*ir.Node
	producer map[string]*ir.Node
}

// inner returns the producer of v when v is an inner value of a chain: made
// by a node of type op, read by one node only, not a graph output.
func (g chainGraph) inner(v, op string) *ir.Node {
	p := g.producer[v]
	if p == nil || p.OpType != op || len(g.readers[v]) != 1 || v == g.n.output || (p.Domain != "" && p.Domain != "ai.onnx") {
		return nil
	}
	return p
}

// gated fuses mul = x · gate(x), gate being input k.
func (g chainGraph) gated(mul *ir.Node, k int) bool {
	x := mul.Input(1 - k)
	if s := g.inner(mul.Input(k), "Sigmoid"); s != nil && s.Input(0) == x {
		g.fuse(mul, x, (*autograd.Tape).Silu, s)
		return true
	}
	if h := g.inner(mul.Input(k), "HardSigmoid"); h != nil && h.Input(0) == x {
		a, err := attrsOf[schema.HardSigmoid](g.n, h)
		if err == nil && math.Abs(float64(a.Alpha)-1.0/6) < 1e-7 && a.Beta == 0.5 {
			g.fuse(mul, x, (*autograd.Tape).HardSwish, h)
			return true
		}
	}
	return false
}

// gelu fuses half = Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5), the form
// torch.onnx writes for GELU, with input k of half the inner Mul.
func (g chainGraph) gelu(half *ir.Node, k int) bool {
	if !g.isConst(half.Input(1-k), 0.5) {
		return false
	}
	m := g.inner(half.Input(k), "Mul")
	if m == nil {
		return false
	}
	for j := range 2 {
		x := m.Input(1 - j)
		a := g.inner(m.Input(j), "Add")
		if a == nil {
			continue
		}
		for i := range 2 {
			e := g.inner(a.Input(i), "Erf")
			if e == nil || !g.isConst(a.Input(1-i), 1) {
				continue
			}
			d := g.inner(e.Input(0), "Div")
			if d != nil && d.Input(0) == x && g.isConst(d.Input(1), math.Sqrt2) {
				g.fuse(half, x, func(tp *autograd.Tape, x *autograd.Tensor) *autograd.Tensor { return tp.Gelu(x, false) }, m, a, e, d)
				return true
			}
		}
	}
	return false
}

// isConst reports whether v is a one-element float constant within float32
// rounding of c: an initializer, or a Constant node's value.
func (g chainGraph) isConst(v string, c float64) bool {
	if k, ok := g.n.consts[v]; ok {
		return k.t != nil && len(k.t.Data) == 1 && math.Abs(float64(k.t.Data[0])-c) <= 1e-6*math.Abs(c)
	}
	p := g.producer[v]
	if p == nil || p.OpType != "Constant" {
		return false
	}
	if a := p.Attr("value"); a != nil && a.T != nil && ir.NumElements(a.T.Shape) == 1 {
		f, err := a.T.Float32s()
		return err == nil && math.Abs(float64(f[0])-c) <= 1e-6*math.Abs(c)
	}
	return false
}

func (g chainGraph) fuse(anchor *ir.Node, x string, op func(*autograd.Tape, *autograd.Tensor) *autograd.Tensor, inner ...*ir.Node) {
	g.n.acts[anchor] = actFusion{x: x, op: op}
	for _, nd := range inner {
		g.n.absorbed[nd] = anchor
	}
}

// moveReleases hands the values an absorbed node read last to its chain's
// anchor, so they are still released (after the anchor has read them).
func (n *net) moveReleases() {
	at := map[*ir.Node]int{}
	for i, nd := range n.nodes {
		at[nd] = i
	}
	for i, nd := range n.nodes {
		if anchor := n.absorbed[nd]; anchor != nil {
			j := at[anchor]
			n.release[j] = append(n.release[j], n.release[i]...)
			n.release[i] = nil
		}
	}
}
