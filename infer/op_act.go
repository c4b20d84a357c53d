package infer

import (
	"math"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// Element-wise activations on float32, computed in float64 and rounded
// once.

func opErf(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return unary64(c, in[0], math.Erf)
}

func opReciprocal(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return unary64(c, in[0], func(v float64) float64 { return 1 / v })
}

// opSoftplus is log(1 + e^x), without overflow for large x.
func opSoftplus(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return unary64(c, in[0], softplus)
}

func softplus(v float64) float64 {
	if v > 0 {
		return v + math.Log1p(math.Exp(-v))
	}
	return math.Log1p(math.Exp(v))
}

func opSoftsign(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return unary64(c, in[0], func(v float64) float64 { return v / (1 + math.Abs(v)) })
}

func opElu(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a := float64(attrs[schema.Alpha](c).Alpha)
	return unary64(c, in[0], func(v float64) float64 {
		if v < 0 {
			return a * math.Expm1(v)
		}
		return v
	})
}

// opCelu is max(0, x) + min(0, alpha·(exp(x/alpha) − 1)).
func opCelu(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a := float64(attrs[schema.Alpha](c).Alpha)
	return unary64(c, in[0], func(v float64) float64 {
		if v < 0 {
			return a * math.Expm1(v/a)
		}
		return v
	})
}

func opSelu(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	at := attrs[schema.Selu](c)
	a, g := float64(at.Alpha), float64(at.Gamma)
	return unary64(c, in[0], func(v float64) float64 {
		if v <= 0 {
			return g * a * math.Expm1(v)
		}
		return g * v
	})
}

func opThresholdedRelu(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a := attrs[schema.Alpha](c).Alpha
	return unary(c, in[0], func(v float32) float32 {
		if v > a {
			return v
		}
		return 0
	})
}

// opHardSigmoid is max(0, min(1, alpha·x + beta)).
func opHardSigmoid(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	at := attrs[schema.HardSigmoid](c)
	return unary(c, in[0], func(v float32) float32 { return hardSigmoid(v, at.Alpha, at.Beta) })
}

func hardSigmoid(v, alpha, beta float32) float32 { return max(0, min(1, alpha*v+beta)) }

// opHardSwish is x·HardSigmoid(x) with alpha 1/6, beta 0.5.
func opHardSwish(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return unary(c, in[0], func(v float32) float32 { return v * hardSigmoid(v, 1.0/6, 0.5) })
}

// opMish is x·tanh(softplus(x)).
func opMish(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return unary64(c, in[0], func(v float64) float64 { return v * math.Tanh(softplus(v)) })
}

// opGelu is x·Φ(x), exactly (erf) or in tanh approximation.
func opGelu(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	if attrs[schema.Gelu](c).Approximate == "tanh" {
		k := math.Sqrt(2 / math.Pi)
		return unary64(c, in[0], func(v float64) float64 { return 0.5 * v * (1 + math.Tanh(k*(v+0.044715*v*v*v))) })
	}
	return unary64(c, in[0], func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) })
}

// unary64 is unary with f on float64.
func unary64(c *ctx, x *ir.Tensor, f func(float64) float64) ([]*ir.Tensor, error) {
	return unary(c, x, func(v float32) float32 { return float32(f(float64(v))) })
}

func opNeg(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) { return negAbs(c, in[0], true) }

func opAbs(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) { return negAbs(c, in[0], false) }

// negAbs negates, or takes the absolute value of, a float or signed
// integer tensor.
func negAbs(c *ctx, x *ir.Tensor, neg bool) ([]*ir.Tensor, error) {
	y, err := c.alloc(x.DType, c.shape(0))
	if err != nil {
		return nil, err
	}
	switch xs := x.Data.(type) {
	case []float32:
		negAbsInto(xs, y.Data.([]float32), neg)
	case []float64:
		negAbsInto(xs, y.Data.([]float64), neg)
	case []int8:
		negAbsInto(xs, y.Data.([]int8), neg)
	case []int16:
		negAbsInto(xs, y.Data.([]int16), neg)
	case []int32:
		negAbsInto(xs, y.Data.([]int32), neg)
	case []int64:
		negAbsInto(xs, y.Data.([]int64), neg)
	default:
		return nil, unsupported("element type %v", x.DType)
	}
	return []*ir.Tensor{y}, nil
}

func negAbsInto[T ~float32 | ~float64 | ~int8 | ~int16 | ~int32 | ~int64](x, y []T, neg bool) {
	for i, v := range x {
		if neg || v < 0 {
			v = -v
		}
		if !neg && v == 0 {
			v = 0 // Abs(-0) is +0
		}
		y[i] = v
	}
}
