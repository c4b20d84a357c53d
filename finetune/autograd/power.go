package autograd

import "math"

// Pow is x^e for a constant exponent e (ONNX Pow with a constant
// exponent): d/dx = e·x^(e−1). It keeps x (unary.go): as codes on a
// compressing tape when e ≥ 1, where the derivative is bounded on the
// codes' range, and as a float reference below 1, where it is not.
func (tp *Tape) Pow(x *Tensor, e float32) *Tensor {
	p := float64(e)
	f := func(x float32) float32 { return float32(math.Pow(float64(x), p)) }
	df := func(x float32) float32 { return float32(p * math.Pow(float64(x), p-1)) }
	return tp.unary(x, f, df, e >= 1)
}

// Sqrt is √x; d/dx = 1/(2√x). It keeps x as a float reference (unbounded
// near 0).
func (tp *Tape) Sqrt(x *Tensor) *Tensor {
	return tp.unary(x, func(x float32) float32 { return float32(math.Sqrt(float64(x))) },
		func(x float32) float32 { return float32(0.5 / math.Sqrt(float64(x))) }, false)
}

// Reciprocal is 1/x; d/dx = −1/x². It keeps x as a float reference
// (unbounded near 0).
func (tp *Tape) Reciprocal(x *Tensor) *Tensor {
	return tp.unary(x, func(x float32) float32 { return 1 / x },
		func(x float32) float32 { return float32(-1 / (float64(x) * float64(x))) }, false)
}

// Exp is eˣ, its own derivative. It keeps x as a float reference (a code's
// rounding would scale the gradient by up to e^step).
func (tp *Tape) Exp(x *Tensor) *Tensor {
	f := func(x float32) float32 { return float32(math.Exp(float64(x))) }
	return tp.unary(x, f, f, false)
}

// Log is ln x; d/dx = 1/x. It keeps x as a float reference (unbounded near 0).
func (tp *Tape) Log(x *Tensor) *Tensor {
	return tp.unary(x, func(x float32) float32 { return float32(math.Log(float64(x))) },
		func(x float32) float32 { return 1 / x }, false)
}
