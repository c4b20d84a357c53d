package schema

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/ir"
)

// call is one shape inference of a bound node.
type call struct {
	*Node
	in []Value // one per node input; the zero Value for an omitted one
}

// Infer returns the types and shapes of n's outputs (one per output the op
// produces, which may be more than the node names) for the given inputs,
// one per node input. Inputs must have known ranks. An output's contents
// are set where the op layer computes them itself: Shape, and shape
// arithmetic on integer vectors. Errors are plain messages about the
// inputs; callers add the node.
func (n *Node) Infer(in []Value) ([]Value, error) {
	c := &call{Node: n, in: in}
	out, err := n.Op.infer(c)
	if err != nil {
		return nil, err
	}
	for i, v := range out {
		if err := checkSize(v.Shape, DefaultMaxElements); err != nil {
			return nil, fmt.Errorf("output %d: %w", i, err)
		}
	}
	return out, nil
}

// has reports whether input i is present.
func (c *call) has(i int) bool { return i < len(c.in) && c.Input(i) != "" }

// x returns input i (the zero Value when absent).
func (c *call) x(i int) Value {
	if i < len(c.in) {
		return c.in[i]
	}
	return Value{}
}

// shape returns input i's dims.
func (c *call) shape(i int) []ir.Dim { return c.x(i).Shape }

// dtype returns input i's element type.
func (c *call) dtype(i int) ir.DType { return c.x(i).DType }

// one returns a single output.
func one(dt ir.DType, shape []ir.Dim) ([]Value, error) {
	return []Value{{DType: dt, Shape: shape}}, nil
}

// same is an output of input 0's type and shape.
func (c *call) same() ([]Value, error) { return one(c.dtype(0), clone(c.shape(0))) }

// content returns input i's elements as dims: ok is false when they are
// not known (not even symbolically).
func (c *call) content(i int, what string) ([]ir.Dim, bool, error) {
	v := c.x(i)
	if !isInt(v.DType) {
		return nil, false, fmt.Errorf("%s must be an integer tensor, got %v", what, v.DType)
	}
	if len(v.Shape) > 1 {
		return nil, false, fmt.Errorf("%s must have rank 0 or 1, has shape %s", what, ir.FormatDims(v.Shape))
	}
	d, ok := v.elems(math.MaxInt) // an op's own argument, however long
	return d, ok, nil
}

// ints returns input i's integer elements when all are known.
func (c *call) ints(i int, what string) ([]int64, bool, error) {
	d, ok, err := c.content(i, what)
	if !ok || err != nil {
		return nil, false, err
	}
	out := make([]int64, len(d))
	for j, x := range d {
		if !elemKnown(x) {
			return nil, false, nil
		}
		out[j] = x.Size
	}
	return out, true, nil
}

// scalar returns input i as a float64 when it is a known one-element
// tensor.
func (c *call) scalar(i int, what string) (float64, bool, error) {
	v := c.x(i)
	if n, ok := v.Fixed(); ok && ir.NumElements(n) != 1 {
		return 0, false, fmt.Errorf("%s must hold one value, has shape %v", what, n)
	}
	if v.Const == nil {
		return 0, false, nil
	}
	if b, ok := v.Const.Data.([]bool); ok {
		return map[bool]float64{true: 1, false: 0}[b[0]], true, nil
	}
	if f, ok := v.Const.Data.([]float64); ok {
		return f[0], true, nil
	}
	if isFloat(v.DType) {
		f, err := v.Const.Float32s()
		if err != nil {
			return 0, false, fmt.Errorf("%s: %w", what, err)
		}
		return float64(f[0]), true, nil
	}
	is, err := v.Const.Int64s()
	if err != nil {
		return 0, false, fmt.Errorf("%s: %w", what, err)
	}
	return float64(is[0]), true, nil
}

// Axis normalizes a possibly negative axis for rank r.
func Axis(a int64, r int) (int, error) {
	if a < -int64(r) || a >= int64(r) {
		return 0, fmt.Errorf("axis %d is out of range for rank %d", a, r)
	}
	if a < 0 {
		a += int64(r)
	}
	return int(a), nil
}

// normAxes normalizes axes for rank r, rejecting repeats.
func normAxes(axes []int64, r int) ([]int, error) {
	out := make([]int, len(axes))
	seen := make([]bool, r)
	for i, a := range axes {
		v, err := Axis(a, r)
		if err != nil {
			return nil, err
		}
		if seen[v] {
			return nil, fmt.Errorf("axes %v repeat axis %d", axes, v)
		}
		seen[v], out[i] = true, v
	}
	return out, nil
}

func clone[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

// intsTensor is a rank-1 int64 tensor of dims when all are known, else nil.
func intsTensor(d []ir.Dim, scalar bool) *ir.Tensor {
	v := make([]int64, len(d))
	for i, x := range d {
		if !elemKnown(x) {
			return nil
		}
		v[i] = x.Size
	}
	shape := []int{len(v)}
	if scalar {
		shape = nil
	}
	return ir.NewInt64("", shape, v)
}

// withContent sets v's contents: a tensor when all elements are known and
// v is int64, the elements otherwise.
func withContent(v Value, d []ir.Dim) Value {
	v.Const, v.Dims = nil, d
	if v.DType != ir.Int64 || len(v.Shape) > 1 {
		return v
	}
	if t := intsTensor(d, len(v.Shape) == 0); t != nil {
		v.Const, v.Dims = t, nil
	}
	return v
}

// intsValue is an int64 value of the given shape (a scalar or a vector)
// with known or symbolic contents.
func intsValue(d []ir.Dim, scalar bool) Value {
	v := Value{DType: ir.Int64, Shape: []ir.Dim{known(int64(len(d)))}}
	if scalar {
		v.Shape = []ir.Dim{}
	}
	return withContent(v, d)
}

// toInt converts an attribute or tensor value to int, rejecting absurd
// ones.
func toInt(v int64, what string) (int, error) {
	if v > math.MaxInt32 || v < -math.MaxInt32 {
		return 0, fmt.Errorf("%s value %d is out of range", what, v)
	}
	return int(v), nil
}
