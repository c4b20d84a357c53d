package autograd

import "math"

// Erf is the error function; erf'(x) = 2/√π·e^(−x²). It keeps x (unary.go).
func (tp *Tape) Erf(x *Tensor) *Tensor { return tp.unary(x, erf32, dErf, true) }

func erf32(x float32) float32 { return float32(math.Erf(float64(x))) }

func dErf(x float32) float32 {
	v := float64(x)
	return float32(2 / math.SqrtPi * math.Exp(-v*v))
}
