package infer

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// DefaultMaxElements bounds the elements of any one tensor a run allocates
// unless Options.MaxElements says otherwise: 2^28, 1 GiB of float32. A
// ResNet-50 at 224×224 needs 0.8 M per image in its largest activation, so
// the default admits batches of about 300 such images; hostile or corrupt
// models (a Conv padded by 12,496 on an 8×8 input) hit it at once.
const DefaultMaxElements = 1 << 28

// ErrTooLarge is wrapped by a LimitError and by the op layer's errors for
// shapes beyond its bound (it is schema.ErrTooLarge).
var ErrTooLarge = schema.ErrTooLarge

// LimitError reports a tensor the element limit refused; Run and CheckShapes
// wrap it with the node.
type LimitError struct {
	Shape    []int
	Elements int
	Limit    int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("output of shape %v has %d elements, more than the limit of %d", e.Shape, e.Elements, e.Limit)
}

func (e *LimitError) Unwrap() error { return ErrTooLarge }

func (o Options) maxElements() int {
	if o.MaxElements <= 0 {
		return DefaultMaxElements
	}
	return min(o.MaxElements, maxElements)
}

// CheckShapes runs the model's shape pass for a batch of batch items on its
// declared input shapes (with an unknown leading dimension set to batch), so
// that a model whose tensors break the element limit, or whose shapes do
// not fit, fails here with the node named before any run allocates its
// activations. Inputs whose other dimensions are not fixed are left out;
// Run still enforces the limit on them. It returns the shapes the pass
// fixed of the graph's outputs (none when it could not run), so that a
// caller reading them needs no second pass.
func (p *Program) CheckShapes(batch int) (outputs map[string][]int, err error) {
	res, err := p.shapesAt(batch)
	if err != nil || res == nil {
		return nil, err
	}
	c := &ctx{prog: p}
	for _, st := range p.steps {
		for _, o := range st.node.Outputs {
			if shape, ok := res.Values[o].Fixed(); ok && o != "" {
				if _, err := c.size(shape); err != nil {
					return nil, fmt.Errorf("infer: node %s (%s): %w", st.label, st.node.OpType, err)
				}
			}
		}
	}
	outputs = map[string][]int{}
	for _, name := range p.Outputs() {
		if shape, ok := res.Values[name].Fixed(); ok {
			outputs[name] = shape
		}
	}
	return outputs, nil
}

// BatchWithin is the largest batch, at most most, whose largest tensor (an
// input or an activation) holds at most elements (at least 1): the executor's memory grows with its
// largest tensors, so a caller that must stay within a memory budget (the
// verification after training) sizes its batches by it. A model whose
// shapes are not fixed apart from the batch gets most.
func (p *Program) BatchWithin(elements, most int) int {
	res, err := p.shapesAt(1)
	if err != nil || res == nil {
		return most
	}
	largest := 1
	for _, spec := range p.inputs {
		if shape, ok := batchShape(spec, 1); ok {
			largest = max(largest, product(shape))
		}
	}
	for _, st := range p.steps {
		for _, o := range st.node.Outputs {
			if shape, ok := res.Values[o].Fixed(); ok && o != "" {
				largest = max(largest, product(shape))
			}
		}
	}
	return max(1, min(most, elements/largest))
}

// shapesAt is the op layer's shape pass for a batch of batch items (nothing
// allocated), or nil when an input's shape is not fixed apart from the batch.
func (p *Program) shapesAt(batch int) (*schema.Result, error) {
	c := &ctx{prog: p}
	opts := schema.Options{Inputs: map[string][]ir.Dim{}, Eval: Eval}
	for _, spec := range p.inputs {
		if spec.optional {
			continue
		}
		shape, ok := batchShape(spec, batch)
		if !ok {
			return nil, nil // Run will check what shape inference cannot
		}
		if _, err := c.size(shape); err != nil {
			return nil, fmt.Errorf("infer: input %q: %w", spec.name, err)
		}
		opts.Inputs[spec.name] = schema.Dims(shape)
	}
	return schema.Infer(p.model, opts)
}

// batchShape is an input's declared shape with an unknown leading
// dimension set to batch; false when the rank or another dimension is
// unknown.
func batchShape(spec inputSpec, batch int) ([]int, bool) {
	if spec.shape == nil {
		return nil, false
	}
	shape := make([]int, len(spec.shape))
	for i, d := range spec.shape {
		switch {
		case d.Known():
			shape[i] = int(d.Size)
		case i == 0:
			shape[i] = batch
		default:
			return nil, false
		}
	}
	return shape, true
}
