package autograd

// extremumOp is the elementwise maximum or minimum of two broadcast
// operands. The gradient goes to the operand that won, half to each on a
// tie (as PyTorch's maximum and minimum). An exact tape keeps both operands
// as float references; a compressing tape keeps which one won, two bits per
// output element (a won, tie), which is all the backward needs.
type extremumOp struct {
	bc          *broadcast
	isMax       bool
	a, b        floatRef // exact tape
	won, tie    *bitMask // compressing tape
	out, ag, bg *Grad
	aLen, bLen  int
	bufs        *Buffers // the tape's, for backward's gradients
}

// Max is the elementwise maximum of a and b with numpy broadcasting (ONNX
// Max of two inputs; more inputs chain).
func (tp *Tape) Max(a, b *Tensor) (*Tensor, error) { return tp.extremum(a, b, true) }

// Min is the elementwise minimum of a and b (see Max).
func (tp *Tape) Min(a, b *Tensor) (*Tensor, error) { return tp.extremum(a, b, false) }

func (tp *Tape) extremum(a, b *Tensor, isMax bool) (*Tensor, error) {
	bc, err := newBroadcast(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	y := tp.output(bc.outTotal, a, b)
	if isMax {
		bc.each(func(o, ia, ib int) { y[o] = max(a.Data[ia], b.Data[ib]) })
	} else {
		bc.each(func(o, ia, ib int) { y[o] = min(a.Data[ia], b.Data[ib]) })
	}
	out := result(bc.shape, y, a, b)
	if !tp.recording(a, b) {
		return out, nil
	}
	o := &extremumOp{bc: bc, isMax: isMax, out: out.g, ag: a.g, bg: b.g, aLen: len(a.Data), bLen: len(b.Data), bufs: tp.Buffers}
	if tp.Compress {
		o.won, o.tie = newBitMask(bc.outTotal), newBitMask(bc.outTotal)
		bc.each(func(i, ia, ib int) {
			won, tie := o.compare(a.Data[ia], b.Data[ib])
			o.won.w[i>>6] |= b2u(won) << (i & 63)
			o.tie.w[i>>6] |= b2u(tie) << (i & 63)
		})
	} else {
		o.a, o.b = reference(a), reference(b)
	}
	tp.record(out, o)
	return out, nil
}

// compare reports whether a wins outright and whether a and b tie.
func (o *extremumOp) compare(a, b float32) (won, tie bool) {
	if o.isMax {
		return a > b, a == b
	}
	return a < b, a == b
}

func (o *extremumOp) backward() {
	dy := o.out.Data
	if dy == nil {
		return
	}
	o.bc.backward(o.ag, o.bg, o.aLen, o.bLen, o.bufs, func(i, ia, ib int) (float32, float32) {
		var won, tie bool
		if o.won != nil {
			won, tie = o.won.has(i), o.tie.has(i)
		} else {
			won, tie = o.compare(o.a.d[ia], o.b.d[ib])
		}
		switch {
		case tie:
			return dy[i] / 2, dy[i] / 2
		case won:
			return dy[i], 0
		}
		return 0, dy[i]
	})
}

func (o *extremumOp) saved() []Saved {
	if o.won != nil {
		return []Saved{o.won, o.tie}
	}
	return []Saved{o.a, o.b}
}
