package autograd

import (
	"github.com/bincompress/bincompress/internal/backend"
	"github.com/bincompress/bincompress/internal/kernels"
)

// maskOp passes the gradient where a saved condition holds: ReLU (x > 0) and
// Clip (lo < x < hi). An exact tape keeps a float reference (ReLU's output,
// Clip's input, as float autograd does); a compressing tape keeps the exact
// condition as one bit per element.
type maskOp struct {
	be      backend.Backend
	ref     backend.Buffer // exact tape
	mask    backend.Saved  // compressing tape
	lo, hi  float32        // pass where lo < ref < hi
	out, in *Grad
}

// Relu is max(x, 0).
func (tp *Tape) Relu(x *Tensor) *Tensor {
	be := x.Backend()
	return tp.relu(be, x, tp.outputOn(be, x.Len(), x))
}

// ReluInPlace is Relu writing over x's data, for an x that nothing reads
// afterwards and no op keeps (a conv, BN or add output read only by this
// ReLU): it saves an allocation and a pass over fresh memory.
func (tp *Tape) ReluInPlace(x *Tensor) *Tensor { return tp.relu(x.Backend(), x, x.Buffer()) }

func (tp *Tape) relu(be backend.Backend, x *Tensor, y backend.Buffer) *Tensor {
	out := resultOn(be, append([]int(nil), x.Shape...), y, x)
	if tp.recording(x) && tp.Compress {
		m := be.ReluMask(y, x.Buffer())
		tp.record(out, (&maskOp{be: be, mask: m, lo: 0, hi: inf32}).bind(out, x))
		return out
	}
	be.Relu(y, x.Buffer()) // NaN passes, as in float autograd
	if tp.recording(x) {
		tp.record(out, tp.newMask(be, y, 0, inf32).bind(out, x))
	}
	return out
}

// maskBlockWords is how many mask words a fused ReLU takes at a time: 4096
// elements, 16 KiB of output still in L1 when their bits are taken.
const maskBlockWords = 64

// Clip is min(max(x, lo), hi); the gradient passes where lo < x < hi.
func (tp *Tape) Clip(x *Tensor, lo, hi float32) *Tensor {
	be := x.Backend()
	y := tp.outputOn(be, x.Len(), x)
	be.Clip(y, x.Buffer(), lo, hi)
	out := resultOn(be, append([]int(nil), x.Shape...), y, x)
	if tp.recording(x) {
		tp.record(out, tp.newMask(be, x.Buffer(), lo, hi).bind(out, x))
	}
	return out
}

const inf32 = float32(3.4028234663852886e38)

func (tp *Tape) newMask(be backend.Backend, ref backend.Buffer, lo, hi float32) *maskOp {
	if !tp.Compress {
		return &maskOp{be: be, ref: ref, lo: lo, hi: hi}
	}
	return &maskOp{be: be, mask: be.Mask(ref, lo, hi), lo: lo, hi: hi}
}

func (o *maskOp) bind(out, in *Tensor) *maskOp { o.out, o.in = out.g, in.g; return o }

// backward zeroes dy where the condition fails, in place (dy is dead after
// this op), and hands it to the input.
func (o *maskOp) backward() {
	if o.out.value() == nil || o.in == nil {
		return
	}
	o.out.own()
	dy := o.out.value()
	if o.mask != nil {
		o.be.ZeroUnmasked(dy, o.mask)
	} else {
		o.be.ZeroOutside(dy, o.ref, o.lo, o.hi)
	}
	o.in.takeFrom(o.out)
}

func (o *maskOp) saved() []Saved {
	if o.mask != nil {
		return []Saved{asSaved(o.be, o.mask)}
	}
	return []Saved{floatRef{b: o.ref}}
}

// The CPU's masks, split across goroutines by elements.

func (CPU) Relu(yb, xb backend.Buffer) {
	y, x := host(yb), host(xb)
	chunks(len(y), func(lo, hi int) { kernels.Relu(y[lo:hi], x[lo:hi]) })
}

// ReluMask takes the mask's bits block by block as the ReLU writes them.
func (CPU) ReluMask(yb, xb backend.Buffer) backend.Saved {
	y, x := host(yb), host(xb)
	m := newBitMask(len(y))
	wordChunks(len(y), func(w0, w1 int) {
		for a := w0; a < w1; a += maskBlockWords {
			b := min(a+maskBlockWords, w1)
			lo, hi := a*64, min(b*64, len(y))
			kernels.Relu(y[lo:hi], x[lo:hi])
			kernels.MaskInRange(m.w[a:b], y[lo:hi], 0, inf32)
		}
	})
	return m
}

func (CPU) Mask(refb backend.Buffer, lo, hi float32) backend.Saved {
	ref := host(refb)
	m := newBitMask(len(ref))
	wordChunks(len(ref), func(a, b int) { kernels.MaskInRange(m.w[a:b], ref[a*64:min(b*64, len(ref))], lo, hi) })
	return m
}

func (CPU) ZeroOutside(dyb, refb backend.Buffer, lo, hi float32) {
	dy, ref := host(dyb), host(refb)
	chunks(len(dy), func(a, b int) { kernels.ZeroOutside(dy[a:b], ref[a:b], lo, hi) })
}

func (CPU) ZeroUnmasked(dyb backend.Buffer, mask backend.Saved) {
	dy, w := host(dyb), mask.(*bitMask).w
	wordChunks(len(dy), func(lo, hi int) { kernels.ZeroUnmasked(dy[lo*64:min(hi*64, len(dy))], w[lo:hi]) })
}

func (CPU) Clip(yb, xb backend.Buffer, lo, hi float32) {
	y, x := host(yb), host(xb)
	for i, v := range x {
		y[i] = min(max(v, lo), hi)
	}
}
