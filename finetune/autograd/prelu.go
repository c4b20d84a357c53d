package autograd

import "fmt"

// preluOp keeps, on an exact tape, x and the slope as float references. On
// a compressing tape it keeps the exact condition x > 0 as one bit per
// element (dx is dy or slope·dy, nothing in between) and, when the slope
// is trained, min(x, 0) as SmoothBits-bit stochastic codes with
// per-channel ranges: the slope's gradient Σ dy·min(x, 0) is linear in
// it, so it stays unbiased. (One bit, as a binary conv's input, left the
// few slope gradients off by more than their size at small batches.)
type preluOp struct {
	bc          *broadcast
	x           []float32 // exact tape
	pos         *bitMask  // compressing tape
	neg         *Codes    // compressing tape, slope trained
	slope       []float32
	out, xg, sg *Grad
	n           int
	bufs        *Buffers
}

// PRelu is x for x > 0 and slope·x elsewhere, with slope broadcast to x's
// shape (ONNX PRelu; PyTorch exports a per-channel slope as [C, 1, 1]).
func (tp *Tape) PRelu(x, slope *Tensor) (*Tensor, error) {
	bc, err := newBroadcast(x.Shape, slope.Shape)
	if err != nil || !sameShape(bc.shape, x.Shape) {
		return nil, fmt.Errorf("autograd: prelu slope %v does not broadcast to input %v", slope.Shape, x.Shape)
	}
	y := tp.output(len(x.Data), x, slope)
	bc.each(func(o, ia, ib int) {
		v := x.Data[ia]
		if !(v > 0) {
			v *= slope.Data[ib]
		}
		y[o] = v
	})
	out := result(append([]int(nil), x.Shape...), y, x, slope)
	if tp.recording(x, slope) {
		o := &preluOp{bc: bc, slope: slope.Data, out: out.g, xg: x.g, sg: slope.g, n: len(x.Data), bufs: tp.Buffers}
		switch {
		case !tp.Compress:
			o.x = x.Data
		default:
			o.pos = positive(x.Data)
			if slope.RequiresGrad() {
				o.neg = encodeNegative(tp, x)
			}
		}
		tp.record(out, o)
	}
	return out, nil
}

// encodeNegative is Encode(min(x, 0)) in SmoothBits bits per element.
func encodeNegative(tp *Tape, x *Tensor) *Codes {
	neg := New(x.Shape, tp.Buffers.get(len(x.Data)))
	for i, v := range x.Data {
		neg.Data[i] = min(v, 0)
	}
	q := Encode(neg, SmoothBits, tp.Key, tp.stream())
	tp.Buffers.put(neg.Data)
	return q
}

func (o *preluOp) isPositive(i int) bool {
	if o.pos != nil {
		return o.pos.has(i)
	}
	return o.x[i] > 0 && o.x[i] < inf32
}

func (o *preluOp) backward() {
	dy := o.out.Data
	if dy == nil {
		return
	}
	var dx, ds, neg []float32
	if o.xg != nil {
		dx = o.bufs.get(o.n)
	}
	if o.sg != nil {
		ds = make([]float32, len(o.slope))
		if o.neg != nil {
			var done func()
			neg, done = values(o.neg, o.n, o.bufs)
			defer done()
		}
	}
	o.bc.each(func(i, ix, is int) {
		pos := o.isPositive(ix)
		if dx != nil {
			dx[ix] = dy[i]
			if !pos {
				dx[ix] *= o.slope[is]
			}
		}
		if ds != nil && !pos {
			v := min(o.x0(ix, neg), 0)
			ds[is] += dy[i] * v
		}
	})
	if dx != nil && !o.xg.take(dx) {
		o.bufs.put(dx)
	}
	o.sg.add(ds)
}

// x0 is element i of the input (exact tape) or of its decoded min(x, 0).
func (o *preluOp) x0(i int, neg []float32) float32 {
	if neg != nil {
		return neg[i]
	}
	return o.x[i]
}

func (o *preluOp) saved() []Saved {
	s := []Saved{floatRef{d: o.slope, param: true}}
	switch {
	case o.x != nil:
		s = append(s, floatRef{d: o.x})
	default:
		s = append(s, o.pos)
		if o.neg != nil {
			s = append(s, o.neg)
		}
	}
	return s
}
