package finetune

import (
	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/internal/backend"
)

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
	buf             []backend.Buffer // on the parameters' backend
}

func newSGD(params []*autograd.Tensor, decays []bool, momentum, decay float32, nesterov bool) *sgd {
	o := &sgd{momentum: momentum, decay: decay, nesterov: nesterov, params: params, decays: decays}
	o.buf = make([]backend.Buffer, len(params))
	for i, p := range params {
		o.buf[i] = p.Backend().Alloc(p.Len())
		p.Backend().Fill(o.buf[i], 0)
	}
	return o
}

// step updates every parameter from its gradient (the backend's SGD) and
// clears the gradients.
func (o *sgd) step(lr float32) {
	for i, p := range o.params {
		g := p.GradBuffer()
		if g == nil {
			continue
		}
		wd := float32(0)
		if o.decays[i] {
			wd = o.decay
		}
		p.Backend().SGD(p.Buffer(), g, o.buf[i], lr, wd, o.momentum, o.nesterov)
		p.ZeroGrad()
	}
}

// resetMomentum zeroes the momentum buffers (at a warm restart).
func (o *sgd) resetMomentum() {
	for i, b := range o.buf {
		o.params[i].Backend().Fill(b, 0)
	}
}

// momentumOf is parameter i's momentum on the host (downloaded from a
// device).
func (o *sgd) momentumOf(i int) []float32 {
	if h, ok := o.buf[i].(backend.Host); ok {
		return h
	}
	h := make([]float32, o.buf[i].Len())
	o.params[i].Backend().Download(h, o.buf[i])
	return h
}

// setMomentum restores parameter i's momentum from host values.
func (o *sgd) setMomentum(i int, v []float32) { o.params[i].Backend().Upload(o.buf[i], v) }
