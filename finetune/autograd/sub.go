package autograd

import "github.com/bincompress/bincompress/internal/kernels"

// subOp is a − b with broadcasting; like Add it saves nothing.
type subOp struct {
	bc          *broadcast
	out, ag, bg *Grad
	aLen, bLen  int
	bufs        *Buffers // the tape's, for backward's gradients
}

// Sub is a − b with numpy broadcasting.
func (tp *Tape) Sub(a, b *Tensor) (*Tensor, error) {
	bc, err := newBroadcast(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	y := tp.output(bc.outTotal, a, b)
	if bc.same { // 1·a + (−1)·b + (−0) is a − b for every input, signed zeros included
		chunks(len(y), func(lo, hi int) { kernels.Combine(y[lo:hi], a.Data[lo:hi], b.Data[lo:hi], 1, -1, negZero) })
	} else {
		bc.each(func(o, ia, ib int) { y[o] = a.Data[ia] - b.Data[ib] })
	}
	out := result(bc.shape, y, a, b)
	if tp.recording(a, b) {
		tp.record(out, &subOp{bc: bc, out: out.g, ag: a.g, bg: b.g, aLen: len(a.Data), bLen: len(b.Data), bufs: tp.Buffers})
	}
	return out, nil
}

func (o *subOp) backward() {
	dy := o.out.Data
	if dy == nil {
		return
	}
	o.bc.backward(o.ag, o.bg, o.aLen, o.bLen, o.bufs, func(i, _, _ int) (float32, float32) { return dy[i], -dy[i] })
}

func (o *subOp) saved() []Saved { return nil }

// negOp passes −dy; it saves nothing.
type negOp struct{ out, in *Grad }

// Neg is −x.
func (tp *Tape) Neg(x *Tensor) *Tensor {
	y := tp.output(len(x.Data), x)
	chunks(len(y), func(lo, hi int) {
		for i, v := range x.Data[lo:hi] {
			y[lo+i] = -v
		}
	})
	out := result(append([]int(nil), x.Shape...), y, x)
	if tp.recording(x) {
		tp.record(out, &negOp{out: out.g, in: x.g})
	}
	return out
}

func (o *negOp) backward() {
	if o.out.Data == nil || o.in == nil {
		return
	}
	o.out.own()
	dy := o.out.Data
	chunks(len(dy), func(lo, hi int) {
		for i := range dy[lo:hi] {
			dy[lo+i] = -dy[lo+i]
		}
	})
	o.in.takeFrom(o.out)
}

func (o *negOp) saved() []Saved { return nil }
