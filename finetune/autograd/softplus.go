package autograd

import "math"

// Softplus is ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^−|x|) so that
// it neither overflows nor loses small values; its derivative is σ(x). It
// keeps x (unary.go).
func (tp *Tape) Softplus(x *Tensor) *Tensor { return tp.unary(x, softplus, sigmoid32, true) }

func softplus(x float32) float32 {
	v := float64(x)
	return float32(math.Max(v, 0) + math.Log1p(math.Exp(-math.Abs(v))))
}
