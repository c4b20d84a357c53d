package infer

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// opSlice gathers the elements the op layer's Slices resolve: starts, ends,
// axes and steps are attributes before opset 10 and inputs from 10.
func opSlice(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a := attrs[schema.Slice](c)
	starts, ends, axes, steps := a.Starts, a.Ends, a.Axes, []int64(nil)
	if c.opset() >= 10 {
		lists := []*[]int64{&starts, &ends, &axes, &steps}
		for i, name := range []string{"starts", "ends", "axes", "steps"} {
			if len(in) > i+1 && in[i+1] != nil {
				v, err := ints(in[i+1], name)
				if err != nil {
					return nil, err
				}
				*lists[i] = v
			}
		}
	}
	x := in[0]
	sl, _, err := schema.Slices(schema.Dims(x.Shape), starts, ends, axes, steps)
	if err != nil {
		return nil, err
	}
	st := strides(x.Shape)
	idx, err := c.gatherIndex(c.shape(0), func(o []int) int {
		off := 0
		for i, v := range o {
			off += (sl[i].Start + v*sl[i].Step) * st[i]
		}
		return off
	})
	if err != nil {
		return nil, err
	}
	y, err := take(c, x, c.shape(0), idx, 0)
	return []*ir.Tensor{y}, err
}

// opSplit cuts the input along the axis into the parts the op layer's
// SplitSizes give (the split list is an attribute before opset 13 and an
// input from 13).
func opSplit(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a := attrs[schema.Split](c)
	x := in[0]
	ax, err := axis(a.Axis, len(x.Shape))
	if err != nil {
		return nil, err
	}
	split := a.Split
	if len(in) > 1 && in[1] != nil {
		if split, err = ints(in[1], "split"); err != nil {
			return nil, err
		}
	}
	sizes, err := schema.SplitSizes(x.Shape[ax], len(c.node.Outputs), split, a.NumOutputs != nil)
	if err != nil {
		return nil, err
	}
	st := strides(x.Shape)
	out := make([]*ir.Tensor, len(sizes))
	start := 0
	for i, n := range sizes {
		shape := clone(x.Shape)
		shape[ax] = n
		idx, err := c.gatherIndex(shape, func(o []int) int { return dot(o, st) + start*st[ax] })
		if err != nil {
			return nil, err
		}
		if out[i], err = take(c, x, shape, idx, 0); err != nil {
			return nil, err
		}
		start += n
	}
	return out, nil
}

// opTile repeats the input along every axis.
func opTile(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	st := strides(x.Shape)
	idx, err := c.gatherIndex(c.shape(0), func(o []int) int {
		off := 0
		for i, v := range o {
			off += v % x.Shape[i] * st[i]
		}
		return off
	})
	if err != nil {
		return nil, err
	}
	y, err := take(c, x, c.shape(0), idx, 0)
	return []*ir.Tensor{y}, err
}

// opExpand broadcasts the input to the shape the op layer inferred.
func opExpand(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, out := in[0], c.shape(0)
	st := bstrides(x.Shape, len(out))
	idx, err := c.gatherIndex(out, func(o []int) int { return dot(o, st) })
	if err != nil {
		return nil, err
	}
	y, err := take(c, x, out, idx, 0)
	return []*ir.Tensor{y}, err
}

// opConstantOfShape fills the shape (the input's contents) with the
// value attribute's one element.
func opConstantOfShape(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	v := attrs[schema.ConstantOfShape](c).Value
	src := &ir.Tensor{DType: v.DType, Shape: []int{1}, Data: v.Data}
	idx := make([]int, product(c.shape(0))) // every element is element 0
	y, err := take(c, src, c.shape(0), idx, 0)
	return []*ir.Tensor{y}, err
}

// opRange is start, start+delta, ... in start's type, as many as the op
// layer's RangeLength counts.
func opRange(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	n := c.shape(0)[0]
	y, err := c.alloc(in[0].DType, c.shape(0))
	if err != nil {
		return nil, err
	}
	switch s := in[0].Data.(type) {
	case []float32:
		rangeInto(y.Data.([]float32), s[0], in[2].Data.([]float32)[0], n)
	case []float64:
		rangeInto(y.Data.([]float64), s[0], in[2].Data.([]float64)[0], n)
	case []int16:
		rangeInto(y.Data.([]int16), s[0], in[2].Data.([]int16)[0], n)
	case []int32:
		rangeInto(y.Data.([]int32), s[0], in[2].Data.([]int32)[0], n)
	case []int64:
		rangeInto(y.Data.([]int64), s[0], in[2].Data.([]int64)[0], n)
	default:
		return nil, fmt.Errorf("Range of %v", in[0].DType)
	}
	return []*ir.Tensor{y}, nil
}

func rangeInto[T number](y []T, start, delta T, n int) {
	for i := range n {
		y[i] = start + T(i)*delta
	}
}
