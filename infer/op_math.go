package infer

import (
	"math"

	"github.com/bincompress/bincompress/ir"
)

// Element-wise float functions. Floor appears in the onnx-packed export,
// which rebuilds weights from bytes with Div and Floor.

func opFloor(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return unary(c, in[0], func(v float32) float32 { return float32(math.Floor(float64(v))) })
}

func opCeil(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return unary(c, in[0], func(v float32) float32 { return float32(math.Ceil(float64(v))) })
}

func opSqrt(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return unary(c, in[0], func(v float32) float32 { return float32(math.Sqrt(float64(v))) })
}

func opExp(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return unary(c, in[0], func(v float32) float32 { return float32(math.Exp(float64(v))) })
}

func opLog(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return unary(c, in[0], func(v float32) float32 { return float32(math.Log(float64(v))) })
}

func opTanh(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return unary(c, in[0], func(v float32) float32 { return float32(math.Tanh(float64(v))) })
}
