package autograd

// divOp is a / b with broadcasting. a's gradient dy/b needs b; b's
// gradient −dy·a/b² needs a and b. It keeps them as float references on
// both tapes: near b = 0 a rounded b could make a finite gradient infinite.
type divOp struct {
	bc          *broadcast
	a, b        floatRef // a only when b needs a gradient
	out, ag, bg *Grad
	aLen        int
	bufs        *Buffers // the tape's, for backward's gradients
}

// Div is a / b with numpy broadcasting.
func (tp *Tape) Div(a, b *Tensor) (*Tensor, error) {
	bc, err := newBroadcast(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	y := tp.output(bc.outTotal, a, b)
	bc.each(func(o, ia, ib int) { y[o] = a.Data[ia] / b.Data[ib] })
	out := result(bc.shape, y, a, b)
	if tp.recording(a, b) {
		o := &divOp{bc: bc, b: reference(b), out: out.g, ag: a.g, bg: b.g, aLen: len(a.Data), bufs: tp.Buffers}
		if b.RequiresGrad() {
			o.a = reference(a)
		}
		tp.record(out, o)
	}
	return out, nil
}

// reference is a float reference to x, marked as a parameter when x is a
// parameter or constant rather than an activation.
func reference(x *Tensor) floatRef {
	return floatRef{d: x.Data, param: x.g == nil || x.g.keep}
}

func (o *divOp) backward() {
	dy := o.out.Data
	if dy == nil {
		return
	}
	a, b := o.a.d, o.b.d
	o.bc.backward(o.ag, o.bg, o.aLen, len(b), o.bufs, func(i, ia, ib int) (ga, gb float32) {
		if o.bg != nil {
			gb = -dy[i] * (a[ia] / b[ib]) / b[ib]
		}
		return dy[i] / b[ib], gb
	})
}

func (o *divOp) saved() []Saved {
	s := []Saved{o.b}
	if o.a.d != nil {
		s = append(s, o.a)
	}
	return s
}
