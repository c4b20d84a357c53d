package autograd

import "math"

// Gelu is x·Φ(x) with Φ the standard normal CDF (ONNX Gelu, approximate
// "none"), or with tanh set its tanh approximation
// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (approximate "tanh"). It keeps
// x (unary.go), where PyTorch's exported Div → Erf → Add → Mul → Mul chain
// keeps three tensors.
func (tp *Tape) Gelu(x *Tensor, tanh bool) *Tensor {
	if tanh {
		return tp.unary(x, geluTanh, dGeluTanh, true)
	}
	return tp.unary(x, gelu, dGelu, true)
}

const geluKappa = 0.044715

var geluBeta = math.Sqrt(2 / math.Pi)

func gelu(x float32) float32 {
	v := float64(x)
	return float32(0.5 * v * (1 + math.Erf(v/math.Sqrt2)))
}

// dGelu is Φ(x) + x·φ(x).
func dGelu(x float32) float32 {
	v := float64(x)
	return float32(0.5*(1+math.Erf(v/math.Sqrt2)) + v*math.Exp(-v*v/2)/math.Sqrt(2*math.Pi))
}

func geluTanh(x float32) float32 {
	v := float64(x)
	return float32(0.5 * v * (1 + math.Tanh(geluBeta*(v+geluKappa*v*v*v))))
}

func dGeluTanh(x float32) float32 {
	v := float64(x)
	t := math.Tanh(geluBeta * (v + geluKappa*v*v*v))
	return float32(0.5*(1+t) + 0.5*v*(1-t*t)*geluBeta*(1+3*geluKappa*v*v))
}
