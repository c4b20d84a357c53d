package autograd

import "math"

// Sigmoid is 1/(1 + e^−x); σ'(x) = σ(x)·(1 − σ(x)). It keeps x (unary.go).
func (tp *Tape) Sigmoid(x *Tensor) *Tensor { return tp.unary(x, sigmoid32, dSigmoid, true) }

// Silu is x·σ(x) (SiLU, Swish), the Sigmoid → Mul pair PyTorch exports, as
// one op: it keeps x alone where the pair keeps x twice and σ(x) once.
// Silu'(x) = σ(x)·(1 + x·(1 − σ(x))).
func (tp *Tape) Silu(x *Tensor) *Tensor { return tp.unary(x, silu, dSilu, true) }

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func sigmoid32(x float32) float32 { return float32(sigmoid(float64(x))) }

func dSigmoid(x float32) float32 {
	s := sigmoid(float64(x))
	return float32(s * (1 - s))
}

func silu(x float32) float32 { return float32(float64(x) * sigmoid(float64(x))) }

func dSilu(x float32) float32 {
	v := float64(x)
	s := sigmoid(v)
	return float32(s * (1 + v*(1-s)))
}
