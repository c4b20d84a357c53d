package autograd

import "github.com/bincompress/bincompress/internal/backend"

// saveOperand keeps a Mul operand that the other operand's gradient reads
// (n is the output's size). A parameter or constant stays a float
// reference (counted as a parameter). An activation stays a float
// reference on an exact tape; on a compressing tape one as large as the
// output (the feature map an SE gate scales, either half of an unfused
// x·σ(x)) is kept in SmoothBits-bit codes, unbiased because the gradient
// it feeds is linear in it, while a broadcast one (the gate [N, C, 1, 1]
// itself) is small and stays float.
func (tp *Tape) saveOperand(x *Tensor, n int) Saved {
	switch {
	case x.g == nil || x.g.keep:
		return floatRef{b: x.Buffer(), param: true}
	case x.Len() < n:
		return ref(x)
	}
	return tp.saveSmooth(x)
}

// operand returns the values of a saved Mul operand on be (nil when none
// was saved) and a function that gives back any buffer decoding took.
func operand(be backend.Backend, s Saved, n int, bufs *Buffers) (backend.Buffer, func()) {
	switch f, ok := s.(floatRef); {
	case s == nil:
		return nil, func() {}
	case ok:
		return f.buf(), func() {}
	}
	d := scratch(be, bufs, n)
	be.DecodeInput(backendSaved(s), d)
	return d, func() { unscratch(be, bufs, d) }
}
