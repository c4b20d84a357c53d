package finetune

import (
	"errors"
	"fmt"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// mode is how BatchNormalization behaves in a forward pass.
type mode int

const (
	modeEval  mode = iota // running statistics
	modeTrain             // batch statistics; running statistics updated with momentum
	modeStats             // batch statistics, accumulated for re-estimation
)

// run is one forward pass's state.
type run struct {
	n    *net
	tp   *autograd.Tape
	mode mode
	env  map[string]value
}

type opFunc func(r *run, nd *ir.Node) error

// forward runs the graph on x and returns the logits as [N, K].
func (n *net) forward(tp *autograd.Tape, x *autograd.Tensor, m mode) (*autograd.Tensor, error) {
	r, err := n.exec(tp, x, m)
	if err != nil {
		return nil, err
	}
	out := r.env[n.output].t
	if out == nil || len(out.Shape) < 2 {
		return nil, fmt.Errorf("finetune: output %q is not a [N, classes] float tensor", n.output)
	}
	if len(out.Shape) > 2 {
		out = r.tp.View(out, []int{out.Shape[0], out.Len() / max(out.Shape[0], 1)})
	}
	return out, nil
}

// exec runs the graph's nodes on x and returns the pass's state, with the
// graph's outputs among its values.
func (n *net) exec(tp *autograd.Tape, x *autograd.Tensor, m mode) (*run, error) {
	r := &run{n: n, tp: tp, mode: m, env: map[string]value{n.input: {t: x}}}
	for i, nd := range n.nodes {
		if m != modeEval && n.skip[nd] || n.absorbed[nd] != nil {
			continue // its BatchNormalization, or its chain's fused activation, ran it
		}
		h, ok := handlers[nd.OpType]
		if f, fused := n.acts[nd]; fused {
			h = f.run
		}
		if b := n.bound[nd]; !ok || !schema.Supports(schema.Trainer, b.Op, b.Opset) {
			r.releaseAll()
			return nil, &schema.UnsupportedOpError{Op: nd.OpType, Domain: b.Op.Domain, Opset: b.Opset, Node: b.Label, Stage: schema.Trainer}
		}
		if err := r.node(h, nd); err != nil {
			r.releaseAll()
			return nil, fmt.Errorf("finetune: node %q (%s): %w", nd.Name, nd.OpType, err)
		}
		for _, name := range n.release[i] {
			v := r.env[name]
			delete(r.env, name)
			if v.t != nil && !r.shared(v.t) {
				tp.Release(v.t)
			}
		}
	}
	return r, nil
}

// node runs h on nd, through the net's around hook when it has one.
func (r *run) node(h opFunc, nd *ir.Node) error {
	if r.n.around != nil {
		return r.n.around(r, nd, func() error { return h(r, nd) })
	}
	return h(r, nd)
}

// releaseAll lets go of every live value (a pass that failed), each
// storage once.
func (r *run) releaseAll() {
	for name, v := range r.env {
		delete(r.env, name)
		if v.t != nil && !r.shared(v.t) {
			r.tp.Release(v.t)
		}
	}
}

// shared reports whether a live value's data starts where t's does: a view
// of t, or an op's output written over t.
func (r *run) shared(t *autograd.Tensor) bool {
	for _, v := range r.env {
		if v.t != nil && autograd.SameStorage(v.t, t) {
			return true
		}
	}
	return false
}

// get returns a value by name: computed, parameter, or constant.
func (r *run) get(name string) (value, bool) {
	if v, ok := r.env[name]; ok {
		return v, true
	}
	if p, ok := r.n.params[name]; ok {
		return value{t: p}, true
	}
	if c := r.n.deviceConst(name); c != nil {
		return value{t: c}, true
	}
	v, ok := r.n.consts[name]
	return v, ok
}

// tensor returns float input i of nd (nil for an omitted optional input).
func (r *run) tensor(nd *ir.Node, i int) (*autograd.Tensor, error) {
	name := nd.Input(i)
	if name == "" {
		return nil, nil
	}
	v, ok := r.get(name)
	if !ok || v.t == nil {
		return nil, fmt.Errorf("input %q is not a float tensor", name)
	}
	return v.t, nil
}

// ints returns integer input i of nd.
func (r *run) ints(nd *ir.Node, i int) ([]int64, []int, error) {
	v, ok := r.get(nd.Input(i))
	if !ok || v.t != nil {
		return nil, nil, fmt.Errorf("input %q is not a constant integer tensor", nd.Input(i))
	}
	return v.ints, v.shape, nil
}

// inputs returns the first k float inputs of nd, all required.
func (r *run) inputs(nd *ir.Node, k int) ([]*autograd.Tensor, error) {
	out := make([]*autograd.Tensor, k)
	for i := range k {
		t, err := r.tensor(nd, i)
		if err != nil {
			return nil, err
		}
		if t == nil {
			return nil, errors.New("missing required input")
		}
		out[i] = t
	}
	return out, nil
}

func (r *run) set(nd *ir.Node, t *autograd.Tensor) error {
	r.env[nd.Outputs[0]] = value{t: t}
	return nil
}
