package infer

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
)

// InferShapes returns the shape of every value of m (graph inputs,
// initializers and node outputs) when the data inputs have the given shapes.
// An input missing from inputShapes uses its declared shape when all its
// dims are fixed. Values derived from shapes (Shape, Gather, Concat, ...)
// are computed exactly; convolutions, pools and matrix products only
// propagate shapes, so this is cheap even for large networks. Errors name
// the node whose inputs do not fit, as Run's would.
func InferShapes(m *ir.Model, inputShapes map[string][]int) (map[string][]int, error) {
	p, err := Compile(m)
	if err != nil {
		return nil, err
	}
	return p.InferShapes(inputShapes)
}

// InferShapes is the package function InferShapes on a compiled program.
func (p *Program) InferShapes(inputShapes map[string][]int) (map[string][]int, error) {
	inputs := map[string]*ir.Tensor{}
	for _, spec := range p.inputs {
		shape, ok := inputShapes[spec.name]
		if !ok {
			if spec.optional {
				continue
			}
			if shape, ok = fixedShape(spec.shape); !ok {
				return nil, fmt.Errorf("infer: no shape given for input %q (declared %s)", spec.name, dimsString(spec.shape))
			}
		}
		t, err := zeros(spec, shape)
		if err != nil {
			return nil, err
		}
		inputs[spec.name] = t
	}
	vals, err := p.bind(inputs)
	if err != nil {
		return nil, err
	}
	shapes := map[string][]int{}
	for _, spec := range p.inputs {
		if t := vals[spec.slot]; t != nil {
			shapes[spec.name] = clone(t.Shape)
		}
	}
	for _, c := range p.consts {
		shapes[c.t.Name] = clone(c.t.Shape)
	}
	c := &ctx{pool: newPool(), shapeOnly: true}
	err = p.exec(c, p.steps, vals, func(name string, t *ir.Tensor) { shapes[name] = clone(t.Shape) })
	return shapes, err
}

func fixedShape(dims []ir.Dim) ([]int, bool) {
	if dims == nil {
		return nil, false
	}
	shape := make([]int, len(dims))
	for i, d := range dims {
		if !d.Known() {
			return nil, false
		}
		shape[i] = int(d.Size)
	}
	return shape, true
}

// zeros makes a zero tensor for a graph input of the given shape.
func zeros(spec inputSpec, shape []int) (*ir.Tensor, error) {
	dt := spec.dtype
	if dt == ir.Undefined {
		dt = ir.Float32
	}
	n, err := numElements(shape)
	if err != nil {
		return nil, fmt.Errorf("infer: input %q: %w", spec.name, err)
	}
	data, err := dt.MakeSlice(n)
	if err != nil {
		return nil, fmt.Errorf("infer: input %q: %w", spec.name, err)
	}
	return &ir.Tensor{Name: spec.name, DType: dt, Shape: clone(shape), Data: data}, nil
}
