package infer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// Run executes the program on the given inputs, keyed by graph input name,
// and returns every graph output by name. Inputs backed by an initializer may
// be omitted (the initializer is used) or overridden. The inputs are only
// read; outputs are fresh tensors owned by the caller, except that an output
// which is an input passed through unchanged shares the caller's data.
func (p *Program) Run(inputs map[string]*ir.Tensor) (map[string]*ir.Tensor, error) {
	vals, err := p.bind(inputs)
	if err != nil {
		return nil, err
	}
	pl := p.getPool()
	defer p.putPool(pl)
	return p.run(vals, pl)
}

// getPool returns a pool holding the buffers an earlier run freed.
func (p *Program) getPool() *pool {
	if pl, ok := p.pools.Get().(*pool); ok {
		return pl
	}
	return newPool()
}

// putPool keeps pl's free buffers for a later run; the ones still in use
// are the run's outputs, which now belong to the caller.
func (p *Program) putPool(pl *pool) {
	pl.handOver()
	p.pools.Put(pl)
}

func (p *Program) run(vals []*ir.Tensor, pl *pool) (map[string]*ir.Tensor, error) {
	c := &ctx{pool: pl, int8: p.opts.Int8Activations, prog: p}
	if err := p.exec(c, p.fused, vals, nil); err != nil {
		return nil, err
	}
	return p.collect(vals), nil
}

// bind checks the caller's inputs against the graph inputs and returns the
// initial value table: initializers and inputs in their slots.
func (p *Program) bind(inputs map[string]*ir.Tensor) ([]*ir.Tensor, error) {
	vals := make([]*ir.Tensor, p.nslots)
	for _, c := range p.consts {
		vals[c.slot] = c.t
	}
	known := map[string]bool{}
	for _, spec := range p.inputs {
		known[spec.name] = true
		t, ok := inputs[spec.name]
		if !ok || t == nil {
			if spec.optional {
				continue
			}
			return nil, fmt.Errorf("infer: missing input %q (want %v%s)", spec.name, spec.dtype, dimsString(spec.shape))
		}
		if err := checkInput(spec, t); err != nil {
			return nil, err
		}
		vals[spec.slot] = t
	}
	var extra []string
	for name := range inputs {
		if !known[name] {
			extra = append(extra, fmt.Sprintf("%q", name))
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, fmt.Errorf("infer: unknown input %s (the model's inputs are %v)", strings.Join(extra, ", "), p.Inputs())
	}
	return vals, nil
}

// checkInput compares a fed tensor with the graph input's declared type and
// shape; symbolic and unknown dimensions match any size.
func checkInput(spec inputSpec, t *ir.Tensor) error {
	named := *t
	named.Name = spec.name
	if _, err := numElements(t.Shape); err != nil {
		return fmt.Errorf("infer: input %q: %w", spec.name, err)
	}
	if err := named.Validate(); err != nil {
		return fmt.Errorf("infer: input %q: %w", spec.name, err)
	}
	if spec.dtype != ir.Undefined && t.DType != spec.dtype {
		return fmt.Errorf("infer: input %q has type %v, the model wants %v", spec.name, t.DType, spec.dtype)
	}
	if spec.shape == nil {
		return nil
	}
	if len(t.Shape) != len(spec.shape) {
		return fmt.Errorf("infer: input %q has shape %v (rank %d), the model wants %s (rank %d)",
			spec.name, t.Shape, len(t.Shape), dimsString(spec.shape), len(spec.shape))
	}
	for i, d := range spec.shape {
		if d.Known() && int64(t.Shape[i]) != d.Size {
			return fmt.Errorf("infer: input %q has shape %v, the model wants %s (dimension %d)",
				spec.name, t.Shape, dimsString(spec.shape), i)
		}
	}
	return nil
}

// dimsString is the declared shape, or "" when the rank is unknown.
func dimsString(dims []ir.Dim) string {
	if dims == nil {
		return ""
	}
	return ir.FormatDims(dims)
}

// exec runs every step in order. When seen is not nil it receives each
// value's tensor as it is produced.
func (p *Program) exec(c *ctx, steps []step, vals []*ir.Tensor, seen func(name string, t *ir.Tensor)) error {
	for i := range steps {
		st := &steps[i]
		if err := p.execStep(c, st, vals); err != nil {
			return fmt.Errorf("infer: node %s (%s): %w", st.label, st.node.OpType, err)
		}
		if seen != nil {
			for j, s := range st.out {
				if s >= 0 {
					seen(st.node.Outputs[j], vals[s])
				}
			}
		}
		for _, s := range st.free {
			c.pool.release(vals[s])
			vals[s] = nil
		}
	}
	return nil
}

func (p *Program) execStep(c *ctx, st *step, vals []*ir.Tensor) error {
	in := make([]*ir.Tensor, max(len(st.in), len(st.override)))
	for j, s := range st.in {
		if s >= 0 {
			in[j] = vals[s]
		}
	}
	for j, t := range st.override {
		if t != nil {
			in[j] = t
		}
	}
	c.fusion = nil
	if st.fused.active() {
		c.fusion = &runFusion{relu: st.fused.reluStep != nil}
		if st.fused.addStep != nil {
			c.fusion.add, c.fusion.hasAdd = vals[st.fused.add], true
		}
	}
	out, err := c.runNode(st.node, st.run, in)
	if err != nil {
		return err
	}
	if c.fusion != nil && !c.fusion.done && len(out) > 0 {
		if out[0], err = unfused(c, st.fused, out[0], vals); err != nil {
			return err
		}
	}
	for j, s := range st.out {
		if s < 0 {
			continue
		}
		if j >= len(out) || out[j] == nil {
			return fmt.Errorf("output %d (%q) is not produced by this implementation", j, st.node.Outputs[j])
		}
		c.pool.retain(out[j])
		vals[s] = out[j]
	}
	return nil
}

// runNode sizes a node's outputs through the op layer, then runs it.
func (c *ctx) runNode(n *schema.Node, run opFunc, in []*ir.Tensor) ([]*ir.Tensor, error) {
	vals := make([]schema.Value, len(in))
	for j, t := range in {
		if t == nil {
			if n.Input(j) != "" {
				return nil, fmt.Errorf("input %d is missing", j)
			}
			continue
		}
		vals[j] = schema.Concrete(t)
	}
	out, err := n.Infer(vals)
	if err != nil {
		return nil, err
	}
	shapes := make([][]int, len(out))
	for j, v := range out {
		s, ok := v.Fixed()
		if !ok && j < len(n.Outputs) && n.Outputs[j] != "" {
			return nil, fmt.Errorf("output %d has no fixed shape (%v)", j, v.Shape)
		}
		shapes[j] = s
	}
	c.node, c.out, c.shapes = n, out, shapes
	return run(c, in)
}

// collect picks the graph outputs, copying any that alias constant data.
func (p *Program) collect(vals []*ir.Tensor) map[string]*ir.Tensor {
	res := make(map[string]*ir.Tensor, len(p.outputs))
	for _, o := range p.outputs {
		t := vals[o.slot]
		if t == nil {
			continue
		}
		if p.constPtr[dataPtr(t.Data)] {
			t = t.Clone()
		} else {
			cp := *t
			t = &cp
		}
		t.Name = o.name
		res[o.name] = t
	}
	return res
}
