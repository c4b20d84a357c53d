package autograd

import "math"

// Tanh is the hyperbolic tangent; tanh'(x) = 1 − tanh²(x). It keeps x
// (unary.go).
func (tp *Tape) Tanh(x *Tensor) *Tensor { return tp.unary(x, tanh32, dTanh, true) }

func tanh32(x float32) float32 { return float32(math.Tanh(float64(x))) }

func dTanh(x float32) float32 {
	t := math.Tanh(float64(x))
	return float32(1 - t*t)
}
