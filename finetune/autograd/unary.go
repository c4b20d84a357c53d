package autograd

// SmoothBits is the width of the codes in which a compressing tape saves
// the input of an op whose derivative is a smooth, bounded function of it
// (Sigmoid, Tanh, Erf, Gelu, Silu, Softplus, Elu, Selu, HardSwish, Softmax's
// output, a Mul operand): per-channel ranges and stochastic rounding, as
// Codes, so the saved value is unbiased and the derivative evaluated at it is
// off by at most a step (range/255) times the derivative's slope.
const SmoothBits = 8

// unaryOp is an elementwise y = f(x) whose backward is dx = dy·f'(x). It
// keeps x: a float reference on an exact tape; on a compressing tape
// SmoothBits-bit codes, or a float reference for ops whose derivative is
// unbounded near values a code could round to (Sqrt, Reciprocal, Exp, Pow
// with an exponent below 1), where a rounded x could turn a finite gradient
// infinite.
type unaryOp struct {
	df      func(x float32) float32
	x       Saved // floatRef or *Codes
	n       int
	out, in *Grad
	bufs    *Buffers
}

// unary runs y = f(x) elementwise and records dx = dy·df(x); smooth says
// whether a compressing tape may keep x as codes.
func (tp *Tape) unary(x *Tensor, f, df func(float32) float32, smooth bool) *Tensor {
	y := tp.output(len(x.Data), x)
	chunks(len(y), func(lo, hi int) {
		for i, v := range x.Data[lo:hi] {
			y[lo+i] = f(v)
		}
	})
	out := result(append([]int(nil), x.Shape...), y, x)
	if tp.recording(x) {
		var s Saved = floatRef{d: x.Data}
		if smooth {
			s = tp.saveSmooth(x)
		}
		tp.record(out, &unaryOp{df: df, x: s, n: len(x.Data), out: out.g, in: x.g, bufs: tp.Buffers})
	}
	return out
}

// saveSmooth keeps an activation that a smooth derivative reads: a float
// reference on an exact tape, SmoothBits-bit codes (on x's backend) on a
// compressing one.
func (tp *Tape) saveSmooth(x *Tensor) Saved {
	if !tp.Compress || x.Len() == 0 {
		return ref(x)
	}
	be := x.Backend()
	n, c, inner := nci(x.Shape)
	return asSaved(be, be.EncodeInput(x.Buffer(), n, c, inner, SmoothBits, tp.Key, tp.stream()))
}

// values returns the float values of s (n of them) on the host: a float
// reference's own data, or codes decoded into a buffer from bufs, which
// done gives back.
func values(s Saved, n int, bufs *Buffers) (d []float32, done func()) {
	if f, ok := s.(floatRef); ok {
		return host(f.buf()), func() {}
	}
	d = bufs.get(n)
	s.(inputCode).Decode(d)
	return d, func() { bufs.put(d) }
}

// backward scales dy by f'(x) in place (dy is dead after this op) and hands
// it to the input.
func (o *unaryOp) backward() {
	if o.out.Data == nil || o.in == nil {
		return
	}
	o.out.own()
	dy := o.out.Data
	x, done := values(o.x, o.n, o.bufs)
	chunks(len(dy), func(lo, hi int) {
		for i, v := range x[lo:hi] {
			dy[lo+i] *= o.df(v)
		}
	})
	done()
	o.in.takeFrom(o.out)
}

func (o *unaryOp) saved() []Saved { return []Saved{o.x} }
