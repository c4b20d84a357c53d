package schema

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
)

// Constant's attributes (opsets 1-21), resolved to one tensor.
type Constant struct {
	Value *ir.Tensor
}

func parseConstant(r *reader) any {
	a := &Constant{}
	if r.opset < 11 {
		a.Value = r.tensor("value", true)
		return a
	}
	a.Value = r.tensor("value", false)
	r.unsupportedAttr("sparse_value", attrSparseTensor)
	if r.opset >= 12 {
		if f := r.optFloat("value_float"); f != nil {
			a.set(r, ir.NewFloat32("", nil, []float32{*f}))
		}
		if f := r.floats("value_floats"); f != nil {
			a.set(r, ir.NewFloat32("", []int{len(f)}, f))
		}
		if v := r.optInt("value_int"); v != nil {
			a.set(r, ir.NewInt64("", nil, []int64{*v}))
		}
		if v := r.ints("value_ints", nil); v != nil {
			a.set(r, ir.NewInt64("", []int{len(v)}, v))
		}
		r.unsupportedAttr("value_string", ir.AttrString)
		r.unsupportedAttr("value_strings", ir.AttrStrings)
	}
	if a.Value == nil && r.spec == nil {
		r.failf("value", "is required (or one of value_float(s), value_int(s))")
	}
	return a
}

func (a *Constant) set(r *reader, t *ir.Tensor) {
	if a.Value != nil {
		r.failf("value", "is given more than once")
	}
	a.Value = t
}

func inferConstant(c *call) ([]Value, error) {
	t := c.Attrs.(*Constant).Value
	if err := checkSize(Dims(t.Shape), DefaultMaxElements); err != nil {
		return nil, err
	}
	return []Value{Concrete(t)}, nil
}

// ConstantOfShape's attributes (opsets 9-21).
type ConstantOfShape struct {
	Value *ir.Tensor // one element; default a float32 0
}

func parseConstantOfShape(r *reader) any {
	a := &ConstantOfShape{Value: r.tensor("value", false)}
	switch {
	case a.Value == nil:
		a.Value = ir.NewFloat32("", []int{1}, []float32{0})
	case a.Value.Len() != 1:
		r.failf("value", "has %d elements, want one", a.Value.Len())
	}
	return a
}

// inferConstantOfShape: the shape input's contents, which may be symbolic
// (a batch), are the output's dims.
func inferConstantOfShape(c *call) ([]Value, error) {
	dt := c.Attrs.(*ConstantOfShape).Value.DType
	d, ok, err := c.content(0, "shape")
	if err != nil {
		return nil, err
	}
	if !ok {
		n, fixed := Ints(c.shape(0))
		if !fixed || len(n) != 1 {
			return []Value{{DType: dt}}, nil
		}
		return one(dt, unknowns(n[0]))
	}
	shape, err := asShape(d)
	if err != nil {
		return nil, err
	}
	return one(dt, shape)
}

// inferExpand: X broadcast (both ways) with the shape input's contents.
func inferExpand(c *call) ([]Value, error) {
	d, ok, err := c.content(1, "shape")
	if err != nil {
		return nil, err
	}
	if !ok {
		n, fixed := Ints(c.shape(1))
		if !fixed || len(n) != 1 {
			return []Value{{DType: c.dtype(0)}}, nil
		}
		return one(c.dtype(0), unknowns(max(n[0], len(c.shape(0)))))
	}
	target, err := asShape(d)
	if err != nil {
		return nil, err
	}
	shape, err := broadcastDims(c.shape(0), target)
	if err != nil {
		return nil, err
	}
	return one(c.dtype(0), shape)
}

// inferRange: a vector of max(ceil((limit-start)/delta), 0) elements.
func inferRange(c *call) ([]Value, error) {
	for i, name := range []string{"start", "limit", "delta"} {
		if len(c.shape(i)) != 0 || c.dtype(i) != c.dtype(0) {
			return nil, fmt.Errorf("%s must be a scalar of start's type, got %v%s", name, c.dtype(i), ir.FormatDims(c.shape(i)))
		}
	}
	var v [3]float64
	for i := range v {
		x, ok, err := c.scalar(i, "range input")
		if err != nil || !ok {
			return one(c.dtype(0), []ir.Dim{unknown})
		}
		v[i] = x
	}
	n, err := RangeLength(v[0], v[1], v[2])
	if err != nil {
		return nil, err
	}
	return one(c.dtype(0), []ir.Dim{known(int64(n))})
}

// RangeLength is Range's element count, max(ceil((limit-start)/delta), 0).
func RangeLength(start, limit, delta float64) (int, error) {
	if delta == 0 {
		return 0, fmt.Errorf("delta is 0")
	}
	n := (limit - start) / delta
	if n != n || n > DefaultMaxElements {
		return 0, fmt.Errorf("range from %g to %g by %g has too many elements", start, limit, delta)
	}
	c := int(n)
	if float64(c) < n {
		c++
	}
	return max(c, 0), nil
}
