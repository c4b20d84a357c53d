package infer

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/bincompress/bincompress/ir"
)

// RunDense is Run with gorgonia.org/tensor values at the boundary. Inputs
// share their backing slices with the executor (which only reads them);
// outputs are new Dense tensors over the result data. Float32 is the normal
// element type; float64, int64 and int32 pass through as well.
func (p *Program) RunDense(inputs map[string]*tensor.Dense) (map[string]*tensor.Dense, error) {
	in := make(map[string]*ir.Tensor, len(inputs))
	for name, d := range inputs {
		t, err := fromDense(name, d)
		if err != nil {
			return nil, err
		}
		in[name] = t
	}
	out, err := p.Run(in)
	if err != nil {
		return nil, err
	}
	res := make(map[string]*tensor.Dense, len(out))
	for name, t := range out {
		d, err := toDense(t)
		if err != nil {
			return nil, fmt.Errorf("infer: output %q: %w", name, err)
		}
		res[name] = d
	}
	return res, nil
}

func fromDense(name string, d *tensor.Dense) (*ir.Tensor, error) {
	if d == nil {
		return nil, fmt.Errorf("infer: input %q is nil", name)
	}
	shape := append([]int(nil), d.Shape()...)
	if d.IsScalar() {
		shape = nil
	}
	if !d.IsNativelyAccessible() || d.RequiresIterator() {
		return nil, fmt.Errorf("infer: input %q is a view; pass a contiguous Dense (use Materialize)", name)
	}
	t := &ir.Tensor{Name: name, Shape: shape, Data: d.Data()}
	switch v := d.Data().(type) {
	case []float32:
		t.DType = ir.Float32
	case []float64:
		t.DType = ir.Float64
	case []int64:
		t.DType = ir.Int64
	case []int32:
		t.DType = ir.Int32
	case float32:
		t.DType, t.Data = ir.Float32, []float32{v}
	default:
		return nil, fmt.Errorf("infer: input %q has element type %v; want float32, float64, int64 or int32", name, d.Dtype())
	}
	return t, nil
}

func toDense(t *ir.Tensor) (*tensor.Dense, error) {
	shape := tensor.Shape(append([]int(nil), t.Shape...))
	switch t.Data.(type) {
	case []float32, []float64, []int64, []int32, []bool, []int8, []uint8:
	default:
		return nil, fmt.Errorf("element type %v has no Dense form", t.DType)
	}
	if len(shape) == 0 {
		shape = tensor.ScalarShape()
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(t.Data)), nil
}
