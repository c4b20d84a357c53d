package infer

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

func opMax(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) { return combine(c, in, binMax) }

func opMin(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) { return combine(c, in, binMin) }

// opMean is Sum divided by the input count (float types only).
func opMean(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	out, err := combine(c, in, binAdd)
	if err != nil {
		return nil, err
	}
	y, err := binary(c, out[0], scalarOf(out[0].DType, float64(len(in))), binDiv)
	c.pool.release(out[0])
	return []*ir.Tensor{y}, err
}

// combine combines any number of inputs pairwise with numpy broadcasting.
func combine(c *ctx, in []*ir.Tensor, op binOp) ([]*ir.Tensor, error) {
	acc := in[0]
	for _, t := range in[1:] {
		y, err := binary(c, acc, t, op)
		if err != nil {
			return nil, err
		}
		if acc != in[0] {
			c.pool.release(acc)
		}
		acc = y
	}
	if len(in) == 1 {
		acc = view(acc, clone(acc.Shape))
	}
	return []*ir.Tensor{acc}, nil
}

// scalarOf is a one-element tensor of a float type.
func scalarOf(dt ir.DType, v float64) *ir.Tensor {
	if dt == ir.Float64 {
		return &ir.Tensor{DType: dt, Data: []float64{v}}
	}
	return ir.NewFloat32("", nil, []float32{float32(v)})
}

// opPow raises the base to the exponent, broadcast; the result has the
// base's type (integer results truncate, as a cast from the float power).
func opPow(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	if b, err := legacyOperand(c, in); err != nil {
		return nil, err
	} else if b != nil {
		in = []*ir.Tensor{in[0], b}
	}
	e, err := asFloat64(in[1])
	if err != nil {
		return nil, err
	}
	y, err := c.alloc(in[0].DType, c.shape(0))
	if err != nil {
		return nil, err
	}
	shapes := shapesOf(in)
	switch x := in[0].Data.(type) {
	case []float32:
		powRows(x, e, y.Data.([]float32), shapes, y.Shape)
	case []float64:
		powRows(x, e, y.Data.([]float64), shapes, y.Shape)
	case []int32:
		powRows(x, e, y.Data.([]int32), shapes, y.Shape)
	case []int64:
		powRows(x, e, y.Data.([]int64), shapes, y.Shape)
	default:
		return nil, unsupported("Pow of %v", in[0].DType)
	}
	return []*ir.Tensor{y}, nil
}

func powRows[T number](x []T, e []float64, y []T, shapes [][]int, out []int) {
	broadcastRows(out, shapes, func(o, n int, off, st []int) {
		for i := range n {
			y[o+i] = T(pow(float64(x[off[0]+i*st[0]]), e[off[1]+i*st[1]]))
		}
	})
}

// pow is math.Pow with x² and x³ multiplied out, as C's powf rounds them.
func pow(x, e float64) float64 {
	switch e {
	case 2:
		return x * x
	case 3:
		return x * x * x
	}
	return math.Pow(x, e)
}

// opPRelu is x where x ≥ 0 and slope·x elsewhere, the slope broadcast to
// x's shape.
func opPRelu(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	xs, err := floats(in[0], "input")
	if err != nil {
		return nil, err
	}
	ss, err := floats(in[1], "slope")
	if err != nil {
		return nil, err
	}
	if s := schema.PReluSlopeShape(c.opset(), len(ss), len(in[0].Shape)); s != nil {
		in = []*ir.Tensor{in[0], view(in[1], s)}
	}
	y, ys, err := c.f32Overwritten(c.shape(0))
	if err != nil {
		return nil, err
	}
	if !equalShape(y.Shape, in[0].Shape) {
		return nil, fmt.Errorf("output %v does not keep the input's shape %v", y.Shape, in[0].Shape)
	}
	broadcastRows(y.Shape, shapesOf(in), func(o, n int, off, st []int) {
		for i := range n {
			v := xs[o+i]
			if v < 0 {
				v *= ss[off[1]+i*st[1]]
			}
			ys[o+i] = v
		}
	})
	return []*ir.Tensor{y}, nil
}
