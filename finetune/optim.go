package finetune

import "github.com/bincompress/bincompress/finetune/autograd"

// sgd is SGD with momentum as PyTorch defines it (dampening 0):
//
//	d = g + λ·w (λ only for conv and dense weights)
//	b = μ·b + d
//	d = d + μ·b (Nesterov) or d = b
//	w = w − lr·d
type sgd struct {
	momentum, decay float32
	nesterov        bool
	params          []*autograd.Tensor
	decays          []bool
	buf             [][]float32
}

func newSGD(params []*autograd.Tensor, decays []bool, momentum, decay float32, nesterov bool) *sgd {
	o := &sgd{momentum: momentum, decay: decay, nesterov: nesterov, params: params, decays: decays}
	o.buf = make([][]float32, len(params))
	for i, p := range params {
		o.buf[i] = make([]float32, len(p.Data))
	}
	return o
}

// step updates every parameter from its gradient and clears the gradients.
func (o *sgd) step(lr float32) {
	for i, p := range o.params {
		g := p.Grad()
		if g == nil {
			continue
		}
		wd := float32(0)
		if o.decays[i] {
			wd = o.decay
		}
		o.update(p.Data, g, o.buf[i], lr, wd)
		p.ZeroGrad()
	}
}

func (o *sgd) update(w, g, b []float32, lr, wd float32) {
	mu := o.momentum
	for j := range w {
		d := g[j] + wd*w[j]
		b[j] = mu*b[j] + d
		if o.nesterov {
			d += mu * b[j]
		} else {
			d = b[j]
		}
		w[j] -= lr * d
	}
}

// resetMomentum zeroes the momentum buffers (at a warm restart).
func (o *sgd) resetMomentum() {
	for _, b := range o.buf {
		clear(b)
	}
}
