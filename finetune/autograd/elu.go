package autograd

import "math"

// Elu is x for x > 0 and α·(eˣ − 1) elsewhere; its derivative is 1 and α·eˣ.
// It keeps x (unary.go).
func (tp *Tape) Elu(x *Tensor, alpha float32) *Tensor { return tp.Selu(x, alpha, 1) }

// Selu is γ·Elu(x, α) (ONNX Selu with its attributes alpha and gamma).
func (tp *Tape) Selu(x *Tensor, alpha, gamma float32) *Tensor {
	a, g := float64(alpha), float64(gamma)
	f := func(x float32) float32 {
		if x > 0 {
			return float32(g * float64(x))
		}
		return float32(g * a * math.Expm1(float64(x)))
	}
	df := func(x float32) float32 {
		if x > 0 {
			return float32(g)
		}
		return float32(g * a * math.Exp(float64(x)))
	}
	return tp.unary(x, f, df, true)
}
