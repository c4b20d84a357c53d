package infer

import (
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// take builds a tensor of the given shape whose element i is src[idx[i]],
// or the fill value where idx[i] < 0. It works for every element type.
func take(c *ctx, src *ir.Tensor, shape, idx []int, fill float64) (*ir.Tensor, error) {
	y, err := c.alloc(src.DType, shape)
	if err != nil {
		return nil, err
	}
	switch s := src.Data.(type) {
	case []float32:
		takeInto(s, y.Data.([]float32), idx, float32(fill))
	case []float64:
		takeInto(s, y.Data.([]float64), idx, fill)
	case []int64:
		takeInto(s, y.Data.([]int64), idx, int64(fill))
	case []int32:
		takeInto(s, y.Data.([]int32), idx, int32(fill))
	case []int16:
		takeInto(s, y.Data.([]int16), idx, int16(fill))
	case []int8:
		takeInto(s, y.Data.([]int8), idx, int8(fill))
	case []uint8:
		takeInto(s, y.Data.([]uint8), idx, uint8(fill))
	case []uint16:
		takeInto(s, y.Data.([]uint16), idx, uint16(fill))
	case []uint32:
		takeInto(s, y.Data.([]uint32), idx, uint32(fill))
	case []uint64:
		takeInto(s, y.Data.([]uint64), idx, uint64(fill))
	case []bool:
		takeInto(s, y.Data.([]bool), idx, fill != 0)
	case [][]byte:
		takeInto(s, y.Data.([][]byte), idx, nil)
	default:
		return nil, unsupported("element type %v", src.DType)
	}
	return y, nil
}

func takeInto[T any](src, dst []T, idx []int, fill T) {
	for i, j := range idx {
		if j >= 0 {
			dst[i] = src[j]
		} else {
			dst[i] = fill
		}
	}
}

// gatherIndex maps every position of an output of shape out to an input
// position: in(o) returns the input offset or -1 for a fill value. The
// index is as large as the output, so the element limit applies first.
func (c *ctx) gatherIndex(out []int, in func(o []int) int) ([]int, error) {
	n, err := c.size(out)
	if err != nil {
		return nil, err
	}
	idx := make([]int, n)
	o := make([]int, len(out))
	for i := range idx {
		idx[i] = in(o)
		increment(o, out)
	}
	return idx, nil
}

func opTranspose(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	perm, err := attrs[schema.Transpose](c).PermFor(len(x.Shape))
	if err != nil {
		return nil, err
	}
	shape := c.shape(0)
	st := strides(x.Shape)
	idx, err := c.gatherIndex(shape, func(o []int) int {
		off := 0
		for i, p := range perm {
			off += o[i] * st[p]
		}
		return off
	})
	if err != nil {
		return nil, err
	}
	y, err := take(c, x, shape, idx, 0)
	return []*ir.Tensor{y}, err
}

func opConcat(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	ax, err := axis(attrs[schema.Concat](c).Axis, len(in[0].Shape))
	if err != nil {
		return nil, err
	}
	return concat(c, in, c.shape(0), ax)
}

// concat copies the inputs block by block along axis ax.
func concat(c *ctx, in []*ir.Tensor, shape []int, ax int) ([]*ir.Tensor, error) {
	y, err := c.alloc(in[0].DType, shape)
	if err != nil {
		return nil, err
	}
	outer, inner := product(shape[:ax]), product(shape[ax+1:])
	widths := make([]int, len(in))
	for i, t := range in {
		widths[i] = t.Shape[ax] * inner
	}
	switch d := y.Data.(type) {
	case []float32:
		concatInto(d, in, outer, widths)
	case []float64:
		concatInto(d, in, outer, widths)
	case []int64:
		concatInto(d, in, outer, widths)
	case []int32:
		concatInto(d, in, outer, widths)
	case []int16:
		concatInto(d, in, outer, widths)
	case []int8:
		concatInto(d, in, outer, widths)
	case []uint8:
		concatInto(d, in, outer, widths)
	case []uint16:
		concatInto(d, in, outer, widths)
	case []uint32:
		concatInto(d, in, outer, widths)
	case []uint64:
		concatInto(d, in, outer, widths)
	case []bool:
		concatInto(d, in, outer, widths)
	case [][]byte:
		concatInto(d, in, outer, widths)
	default:
		return nil, unsupported("element type %v", y.DType)
	}
	return []*ir.Tensor{y}, nil
}

func concatInto[T any](dst []T, parts []*ir.Tensor, outer int, widths []int) {
	o := 0
	for r := range outer {
		for i, p := range parts {
			src := p.Data.([]T)
			o += copy(dst[o:], src[r*widths[i]:(r+1)*widths[i]])
		}
	}
}
