package infer

import "github.com/bincompress/bincompress/ir"

// FreshFloats runs p and reports how many float32 elements its buffer pool
// had to allocate (the rest were recycled).
func FreshFloats(p *Program, inputs map[string]*ir.Tensor) (int, error) {
	vals, err := p.bind(inputs)
	if err != nil {
		return 0, err
	}
	pl := newPool()
	_, err = p.run(vals, pl)
	return pl.made, err
}

// RunUnfused runs p one node per step, with no Add or Relu folded into a
// convolution: the reference the fused run must match bit for bit.
func RunUnfused(p *Program, inputs map[string]*ir.Tensor) (map[string]*ir.Tensor, error) {
	vals, err := p.bind(inputs)
	if err != nil {
		return nil, err
	}
	c := &ctx{pool: newPool(), int8: p.opts.Int8Activations}
	if err := p.exec(c, p.steps, vals, nil); err != nil {
		return nil, err
	}
	return p.collect(vals), nil
}

// FusedOps lists the op of each step Run runs, folded ops included
// ("Conv+Add+Relu").
func FusedOps(p *Program) []string {
	var ops []string
	for _, st := range p.fused {
		ops = append(ops, st.node.OpType+st.fused.suffix())
	}
	return ops
}
