package infer

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// opGather picks slices of data along axis by indices (negative indices
// count from the end).
func opGather(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, ind := in[0], in[1]
	ax, err := axis(attrs[schema.Gather](c).Axis, len(x.Shape))
	if err != nil {
		return nil, err
	}
	ks, err := ints(ind, "indices")
	if err != nil {
		return nil, err
	}
	ks = append([]int64(nil), ks...) // normalized below; never write to the input
	dim := x.Shape[ax]
	for i, k := range ks {
		if k < -int64(dim) || k >= int64(dim) {
			return nil, fmt.Errorf("index %d out of range for axis %d of size %d", k, ax, dim)
		}
		if k < 0 {
			ks[i] = k + int64(dim)
		}
	}
	shape := c.shape(0)
	st, ri := strides(x.Shape), len(ind.Shape)
	ist := strides(ind.Shape)
	idx, err := c.gatherIndex(shape, func(o []int) int {
		off := 0
		for i := 0; i < ax; i++ {
			off += o[i] * st[i]
		}
		off += int(ks[dot(o[ax:ax+ri], ist)]) * st[ax]
		for i := ax + 1; i < len(x.Shape); i++ {
			off += o[i-1+ri] * st[i]
		}
		return off
	})
	if err != nil {
		return nil, err
	}
	y, err := take(c, x, shape, idx, 0)
	return []*ir.Tensor{y}, err
}

func opPad(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	a := attrs[schema.Pad](c)
	pads, axes, value := a.Pads, []int64(nil), float64(a.Value)
	if c.opset() >= 11 {
		var err error
		if pads, err = ints(in[1], "pads"); err != nil {
			return nil, err
		}
		if value, err = optScalar(in, 2, "constant_value", 0); err != nil {
			return nil, err
		}
		if len(in) > 3 && in[3] != nil {
			if axes, err = ints(in[3], "axes"); err != nil {
				return nil, err
			}
		}
	}
	begin, _, err := schema.PadAmounts(pads, axes, len(x.Shape))
	if err != nil {
		return nil, err
	}
	src := schema.PadSource(a.Mode)
	shape, st := c.shape(0), strides(x.Shape)
	idx, err := c.gatherIndex(shape, func(o []int) int {
		off := 0
		for i, v := range o {
			j := src(v-begin[i], x.Shape[i])
			if j < 0 {
				return -1
			}
			off += j * st[i]
		}
		return off
	})
	if err != nil {
		return nil, err
	}
	y, err := take(c, x, shape, idx, value)
	return []*ir.Tensor{y}, err
}
