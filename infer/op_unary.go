package infer

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// unary applies f to every element of a float32 tensor.
func unary(c *ctx, x *ir.Tensor, f func(float32) float32) ([]*ir.Tensor, error) {
	xs, err := floats(x, "input")
	if err != nil {
		return nil, err
	}
	y, ys, err := c.f32Overwritten(clone(x.Shape))
	if err != nil {
		return nil, err
	}
	for i, v := range xs {
		ys[i] = f(v)
	}
	return []*ir.Tensor{y}, nil
}

func opRelu(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	xs, err := floats(in[0], "input")
	if err != nil {
		return nil, err
	}
	y, ys, err := c.f32Overwritten(clone(in[0].Shape))
	if err != nil {
		return nil, err
	}
	for i, v := range xs { // a plain loop: the hottest element-wise op
		ys[i] = max(v, 0)
	}
	return []*ir.Tensor{y}, nil
}

func opLeakyRelu(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	alpha := attrs[schema.Alpha](c).Alpha
	return unary(c, in[0], func(v float32) float32 {
		if v < 0 {
			return alpha * v
		}
		return v
	})
}

func opSigmoid(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return unary(c, in[0], func(v float32) float32 {
		if v >= 0 {
			return float32(1 / (1 + math.Exp(-float64(v))))
		}
		e := math.Exp(float64(v))
		return float32(e / (1 + e))
	})
}

// opClip takes min and max as attributes before opset 11 and as optional
// inputs from 11 on; it works on every numeric type.
func opClip(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a := attrs[schema.Clip](c) // ∓infinity from opset 11, where the bounds are inputs
	lo, hi := float64(a.Min), float64(a.Max)
	if c.opset() >= 11 {
		var err error
		if lo, err = optScalar(in, 1, "min", lo); err != nil {
			return nil, err
		}
		if hi, err = optScalar(in, 2, "max", hi); err != nil {
			return nil, err
		}
	}
	y, err := c.alloc(in[0].DType, clone(in[0].Shape))
	if err != nil {
		return nil, err
	}
	if err := clipAny(in[0].Data, y.Data, lo, hi); err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}

func optScalar(in []*ir.Tensor, i int, what string, def float64) (float64, error) {
	if i >= len(in) || in[i] == nil {
		return def, nil
	}
	return scalarFloat(in[i], what)
}

func clipAny(src, dst any, lo, hi float64) error {
	switch s := src.(type) {
	case []float32:
		clipSlice(s, dst.([]float32), lo, hi)
	case []float64:
		clipSlice(s, dst.([]float64), lo, hi)
	case []int8:
		clipSlice(s, dst.([]int8), lo, hi)
	case []uint8:
		clipSlice(s, dst.([]uint8), lo, hi)
	case []int32:
		clipSlice(s, dst.([]int32), lo, hi)
	case []int64:
		clipSlice(s, dst.([]int64), lo, hi)
	default:
		return unsupported("Clip of %T", src)
	}
	return nil
}

func clipSlice[T number](src, dst []T, lo, hi float64) {
	for i, v := range src {
		f := float64(v)
		switch {
		case f < lo:
			dst[i] = T(lo)
		case f > hi:
			dst[i] = T(hi)
		default:
			dst[i] = v
		}
	}
}

// opBatchNorm is inference-mode BatchNormalization over axis 1:
// y = scale*(x-mean)/sqrt(var+epsilon) + B.
func opBatchNorm(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a := attrs[schema.BatchNormalization](c)
	if a.TrainingMode {
		return nil, unsupported("BatchNormalization training_mode=1")
	}
	x := in[0]
	mul, add, err := bnCoefficients(in, x.Shape[1], float64(a.Epsilon))
	if err != nil {
		return nil, err
	}
	xs, err := floats(x, "input")
	if err != nil {
		return nil, err
	}
	y, ys, err := c.f32(clone(x.Shape))
	if err != nil {
		return nil, err
	}
	inner := product(x.Shape[2:])
	for i := 0; inner > 0 && i < len(xs); i += inner {
		ch := (i / inner) % x.Shape[1]
		m, a := mul[ch], add[ch]
		for j, v := range xs[i : i+inner] {
			ys[i+j] = v*m + a
		}
	}
	return []*ir.Tensor{y}, nil
}

// bnCoefficients folds scale, bias, mean and variance into y = x*mul + add.
func bnCoefficients(in []*ir.Tensor, channels int, eps float64) (mul, add []float32, err error) {
	var p [4][]float32
	for i, name := range []string{"scale", "B", "mean", "var"} {
		if p[i], err = floats(in[i+1], name); err != nil {
			return nil, nil, err
		}
		if len(p[i]) != channels {
			return nil, nil, fmt.Errorf("%s has %d values for %d channels", name, len(p[i]), channels)
		}
	}
	mul = make([]float32, channels)
	add = make([]float32, channels)
	for ch := range mul {
		m := float64(p[0][ch]) / math.Sqrt(float64(p[3][ch])+eps)
		mul[ch] = float32(m)
		add[ch] = float32(float64(p[1][ch]) - float64(p[2][ch])*m)
	}
	return mul, add, nil
}
