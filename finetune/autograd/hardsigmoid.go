package autograd

import "github.com/bincompress/bincompress/internal/backend"

// hardSigmoidOp is a maskOp (the gradient passes where 0 < αx + β < 1)
// that also scales by α: an exact tape keeps the output as a float
// reference, a compressing tape the condition as one bit per element.
type hardSigmoidOp struct {
	mask  *maskOp
	alpha float32
}

// HardSigmoid is max(0, min(1, α·x + β)) (ONNX HardSigmoid; PyTorch's
// Hardsigmoid exports α = 1/6, β = 1/2).
func (tp *Tape) HardSigmoid(x *Tensor, alpha, beta float32) *Tensor {
	y := tp.output(len(x.Data), x)
	chunks(len(y), func(lo, hi int) {
		for i, v := range x.Data[lo:hi] {
			y[lo+i] = max(0, min(1, alpha*v+beta))
		}
	})
	out := result(append([]int(nil), x.Shape...), y, x)
	if tp.recording(x) {
		tp.record(out, &hardSigmoidOp{mask: tp.newMask(CPU{}, backend.Host(y), 0, 1).bind(out, x), alpha: alpha})
	}
	return out
}

func (o *hardSigmoidOp) backward() {
	if o.mask.out.Data == nil || o.mask.in == nil {
		return
	}
	o.mask.out.own()
	dy := o.mask.out.Data
	chunks(len(dy), func(lo, hi int) {
		for i := range dy[lo:hi] {
			dy[lo+i] *= o.alpha
		}
	})
	o.mask.backward()
}

func (o *hardSigmoidOp) saved() []Saved { return o.mask.saved() }

// HardSwish is x·HardSigmoid(x, 1/6, 1/2) (ONNX HardSwish). Its derivative,
// 0 below −3, x/3 + 1/2 up to 3 and 1 above (PyTorch's choice at the
// kinks), is bounded, so it keeps x as unary ops do (codes when
// compressing).
func (tp *Tape) HardSwish(x *Tensor) *Tensor { return tp.unary(x, hardSwish, dHardSwish, true) }

func hardSwish(x float32) float32 { return x * max(0, min(1, x/6+0.5)) }

func dHardSwish(x float32) float32 {
	switch {
	case x < -3:
		return 0
	case x <= 3:
		return x/3 + 0.5
	}
	return 1
}
