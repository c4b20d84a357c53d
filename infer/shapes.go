package infer

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// InferShapes returns the shape of every value of m (graph inputs,
// initializers and node outputs) when the data inputs have the given shapes.
// An input missing from inputShapes uses its declared shape when all its
// dims are fixed. Shapes come from the op layer's inference (ir/schema);
// values that shapes depend on (Shape, Gather, Concat, ... and any small
// constant subgraph) are computed with Eval, so this is cheap even for
// large networks. Errors name the node whose inputs do not fit.
func InferShapes(m *ir.Model, inputShapes map[string][]int) (map[string][]int, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("infer: nil model")
	}
	opts := schema.Options{Inputs: map[string][]ir.Dim{}, Eval: Eval}
	for _, in := range m.Graph.DataInputs() {
		shape, ok := inputShapes[in.Name]
		if !ok {
			if shape, ok = fixedShape(in.Shape); !ok {
				return nil, fmt.Errorf("infer: no shape given for input %q (declared %s)", in.Name, dimsString(in.Shape))
			}
		}
		if _, err := numElements(shape); err != nil {
			return nil, fmt.Errorf("infer: input %q: %w", in.Name, err)
		}
		opts.Inputs[in.Name] = schema.Dims(shape)
	}
	res, err := schema.Infer(m, opts)
	if err != nil {
		return nil, err
	}
	shapes := map[string][]int{}
	for name, v := range res.Values {
		s, ok := v.Fixed()
		if !ok {
			return nil, fmt.Errorf("infer: the shape of %q (%s) depends on values only a run computes", name, dimsString(v.Shape))
		}
		shapes[name] = s
	}
	return shapes, nil
}

// InferShapes is the package function InferShapes on the model a program
// was compiled from.
func (p *Program) InferShapes(inputShapes map[string][]int) (map[string][]int, error) {
	return InferShapes(p.model, inputShapes)
}

// Eval runs one node, bound by the op layer, on known inputs: the
// evaluator schema.Options.Eval takes, so that constant subgraphs fold
// through the same code that runs them.
func Eval(n *schema.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	run, ok := domains[n.Op.Domain][n.OpType]
	if !ok || !schema.Supports(schema.Executor, n.Op, n.Opset) {
		return nil, &schema.UnsupportedOpError{Op: n.OpType, Domain: n.Op.Domain, Opset: n.Opset, Node: n.Label, Stage: schema.Executor}
	}
	c := &ctx{pool: newPool()}
	out, err := c.runNode(n, run, in)
	if err != nil {
		return nil, fmt.Errorf("infer: node %s (%s): %w", n.Label, n.OpType, err)
	}
	return out, nil
}

func fixedShape(dims []ir.Dim) ([]int, bool) {
	if dims == nil {
		return nil, false
	}
	return schema.Ints(dims)
}
