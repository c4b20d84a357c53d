package infer

import (
	"fmt"
	"time"

	"github.com/bincompress/bincompress/ir"
)

// StepTime is the wall time one node took in a profiled run.
type StepTime struct {
	Node     string // node name, or #index when unnamed
	Op       string // op type, with its domain when not the default one
	Duration time.Duration
}

// Profile runs the program like Run and also returns the time each node
// took, in graph order. Timing adds a clock read per node and nothing else.
func (p *Program) Profile(inputs map[string]*ir.Tensor) (map[string]*ir.Tensor, []StepTime, error) {
	vals, err := p.bind(inputs)
	if err != nil {
		return nil, nil, err
	}
	pl := p.getPool()
	defer p.putPool(pl)
	c := &ctx{pool: pl, int8: p.opts.Int8Activations, prog: p}
	times := make([]StepTime, len(p.fused))
	for i := range p.fused {
		st := &p.fused[i]
		start := time.Now()
		if err := p.execStep(c, st, vals); err != nil {
			return nil, nil, fmt.Errorf("infer: node %s (%s): %w", st.label, st.node.OpType, err)
		}
		times[i] = StepTime{Node: stepName(st, i), Op: opName(st.node.Node) + st.fused.suffix(), Duration: time.Since(start)}
		for _, s := range st.free {
			c.pool.release(vals[s])
			vals[s] = nil
		}
	}
	return p.collect(vals), times, nil
}

func opName(n *ir.Node) string {
	if n.Domain == "" || n.Domain == "ai.onnx" {
		return n.OpType
	}
	return n.Domain + "." + n.OpType
}

func stepName(st *step, i int) string {
	if st.node.Name != "" {
		return st.node.Name
	}
	return fmt.Sprintf("#%d", i)
}
