package infer

import (
	"fmt"
	"sort"

	"github.com/bincompress/bincompress/ir"
)

func opIdentity(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return []*ir.Tensor{view(in[0], clone(in[0].Shape))}, nil
}

// opDropout is inference-mode Dropout: the input passes through and the
// optional mask is all true. Training mode with a non-zero ratio is random
// and not supported.
func opDropout(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	ratio, train := float64(n.Float("ratio", 0.5)), 0.0 // default ratio 0.5
	var err error
	if c.opset >= 12 {
		if ratio, err = optScalar(in, 1, "ratio", 0.5); err != nil {
			return nil, err
		}
		if train, err = optScalar(in, 2, "training_mode", 0); err != nil {
			return nil, err
		}
	}
	if train != 0 && ratio != 0 {
		return nil, unsupported("Dropout in training mode")
	}
	x := in[0]
	maskType := ir.Bool
	if c.opset < 10 {
		maskType = x.DType
	}
	mask, err := c.alloc(maskType, clone(x.Shape))
	if err != nil {
		return nil, err
	}
	setOnes(mask.Data)
	return []*ir.Tensor{view(x, clone(x.Shape)), mask}, nil
}

func setOnes(data any) {
	switch v := data.(type) {
	case []bool:
		for i := range v {
			v[i] = true
		}
	case []float32:
		for i := range v {
			v[i] = 1
		}
	case []float64:
		for i := range v {
			v[i] = 1
		}
	}
}

// opConstant yields the node's value, value_float(s) or value_int(s).
func opConstant(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	for _, a := range n.Attrs {
		switch {
		case a.Name == "value" && a.Type == ir.AttrTensor && a.T != nil:
			if _, err := numElements(a.T.Shape); err != nil {
				return nil, err
			}
			if err := a.T.Validate(); err != nil {
				return nil, err
			}
			return []*ir.Tensor{view(a.T, clone(a.T.Shape))}, nil
		case a.Name == "value_float" && a.Type == ir.AttrFloat:
			return []*ir.Tensor{ir.NewFloat32("", nil, []float32{a.F})}, nil
		case a.Name == "value_floats" && a.Type == ir.AttrFloats:
			return []*ir.Tensor{ir.NewFloat32("", []int{len(a.Floats)}, a.Floats)}, nil
		case a.Name == "value_int" && a.Type == ir.AttrInt:
			return []*ir.Tensor{ir.NewInt64("", nil, []int64{a.I})}, nil
		case a.Name == "value_ints" && a.Type == ir.AttrInts:
			return []*ir.Tensor{ir.NewInt64("", []int{len(a.Ints)}, a.Ints)}, nil
		case a.Name == "sparse_value" || a.Name == "value_string" || a.Name == "value_strings":
			return nil, unsupported("Constant with %s", a.Name)
		}
	}
	return nil, fmt.Errorf("Constant has no value attribute")
}

// opShape returns the input's shape as int64, sliced by start/end (opset 15).
func opShape(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	r := int64(len(in[0].Shape))
	start, end := n.Int("start", 0), n.Int("end", r) // defaults: whole shape
	start, end = clampAxis(start, r), clampAxis(end, r)
	dims := []int64{}
	for i := start; i < end; i++ {
		dims = append(dims, int64(in[0].Shape[i]))
	}
	return []*ir.Tensor{ir.NewInt64("", []int{len(dims)}, dims)}, nil
}

func clampAxis(a, r int64) int64 {
	if a < 0 {
		a += r
	}
	return min(max(a, 0), r)
}

// opReshape takes the target shape as input; 0 copies the input dim unless
// allowzero=1, and one -1 is inferred.
func opReshape(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	want, err := ints(in[1], "shape")
	if err != nil {
		return nil, err
	}
	shape, err := reshapeDims(in[0].Shape, want, n.Int("allowzero", 0) != 0) // default 0
	if err != nil {
		return nil, err
	}
	return []*ir.Tensor{view(in[0], shape)}, nil
}

func reshapeDims(from []int, want []int64, allowZero bool) ([]int, error) {
	shape := make([]int, len(want))
	infer, known := -1, 1
	for i, d := range want {
		switch {
		case d == -1 && infer < 0:
			infer = i
			continue
		case d == 0 && !allowZero:
			if i >= len(from) {
				return nil, fmt.Errorf("shape %v copies dimension %d of %v, which has none", want, i, from)
			}
			shape[i] = from[i]
		case d < 0 || d > maxElements:
			return nil, fmt.Errorf("invalid target shape %v", want)
		default:
			shape[i] = int(d)
		}
		if _, err := numElements([]int{known, shape[i]}); err != nil {
			return nil, fmt.Errorf("target shape %v: %w", want, err)
		}
		known *= shape[i]
	}
	total := product(from)
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v into %v", from, want)
		}
		shape[infer] = total / known
	}
	if product(shape) != total {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) into %v", from, total, want)
	}
	return shape, nil
}

// opFlatten makes a matrix [prod(dims[:axis]), prod(dims[axis:])].
func opFlatten(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	r := len(x.Shape)
	a := n.Int("axis", 1) // default 1
	if a < 0 {
		a += int64(r)
	}
	if a < 0 || a > int64(r) {
		return nil, fmt.Errorf("axis %d out of range for rank %d", n.Int("axis", 1), r)
	}
	return []*ir.Tensor{view(x, []int{product(x.Shape[:a]), product(x.Shape[a:])})}, nil
}

// axesArg reads axes from the attribute (before opset 13) or the optional
// second input (from 13 on).
func axesArg(c *ctx, n *ir.Node, in []*ir.Tensor, fromInput int64) ([]int64, bool, error) {
	if c.opset < fromInput {
		a := n.Attr("axes")
		if a == nil {
			return nil, false, nil
		}
		return a.Ints, true, nil
	}
	if len(in) < 2 || in[1] == nil {
		return nil, false, nil
	}
	v, err := ints(in[1], "axes")
	return v, true, err
}

// normAxes normalizes and sorts axes, rejecting duplicates.
func normAxes(axes []int64, rank int) ([]int, error) {
	out := make([]int, len(axes))
	for i, a := range axes {
		v, err := axis(a, rank)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	sort.Ints(out)
	for i := 1; i < len(out); i++ {
		if out[i] == out[i-1] {
			return nil, fmt.Errorf("axes %v repeat an axis", axes)
		}
	}
	return out, nil
}

func opSqueeze(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	axes, ok, err := axesArg(c, n, in, 13)
	if err != nil {
		return nil, err
	}
	drop := map[int]bool{}
	if ok {
		list, err := normAxes(axes, len(x.Shape))
		if err != nil {
			return nil, err
		}
		for _, a := range list {
			if x.Shape[a] != 1 {
				return nil, fmt.Errorf("cannot squeeze axis %d of shape %v", a, x.Shape)
			}
			drop[a] = true
		}
	}
	shape := []int{}
	for i, d := range x.Shape {
		if !(drop[i] || !ok && d == 1) {
			shape = append(shape, d)
		}
	}
	return []*ir.Tensor{view(x, shape)}, nil
}

func opUnsqueeze(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	axes, ok, err := axesArg(c, n, in, 13)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("axes are required")
	}
	list, err := normAxes(axes, len(x.Shape)+len(axes))
	if err != nil {
		return nil, err
	}
	rank := len(x.Shape) + len(list)
	shape := make([]int, 0, rank)
	src := 0
	for i := 0; i < rank; i++ {
		if len(list) > 0 && list[0] == i {
			shape = append(shape, 1)
			list = list[1:]
			continue
		}
		shape = append(shape, x.Shape[src])
		src++
	}
	return []*ir.Tensor{view(x, shape)}, nil
}
