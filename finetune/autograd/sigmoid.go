package autograd

// Sigmoid is 1/(1 + e^−x); σ'(x) = σ(x)·(1 − σ(x)). It keeps x (unary.go).
func (tp *Tape) Sigmoid(x *Tensor) *Tensor { return tp.unary(x, sigmoid32, dSigmoid, true) }

// Silu is x·σ(x) (SiLU, Swish), the Sigmoid → Mul pair PyTorch exports, as
// one op: it keeps x alone where the pair keeps x twice and σ(x) once.
// Silu'(x) = σ(x)·(1 + x·(1 − σ(x))).
func (tp *Tape) Silu(x *Tensor) *Tensor { return tp.unary(x, silu, dSilu, true) }

// sigmoid32 is σ(x) in float32 (expf; feature maps go through it).
func sigmoid32(x float32) float32 { return 1 / (1 + expf(-x)) }

func dSigmoid(x float32) float32 {
	s := sigmoid32(x)
	return s * (1 - s)
}

func silu(x float32) float32 { return x / (1 + expf(-x)) }

func dSilu(x float32) float32 {
	s := sigmoid32(x)
	return s * (1 + x*(1-s))
}
