package autograd

import "github.com/bincompress/bincompress/internal/kernels"

// maskOp passes the gradient where a saved condition holds: ReLU (x > 0) and
// Clip (lo < x < hi). An exact tape keeps a float reference (ReLU's output,
// Clip's input, as float autograd does); a compressing tape keeps the exact
// condition as one bit per element.
type maskOp struct {
	ref     []float32 // exact tape
	mask    *bitMask  // compressing tape
	lo, hi  float32   // pass where lo < ref < hi
	out, in *Grad
}

// Relu is max(x, 0).
func (tp *Tape) Relu(x *Tensor) *Tensor { return tp.relu(x, tp.output(len(x.Data), x)) }

// ReluInPlace is Relu writing over x's data, for an x that nothing reads
// afterwards and no op keeps (a conv, BN or add output read only by this
// ReLU): it saves an allocation and a pass over fresh memory.
func (tp *Tape) ReluInPlace(x *Tensor) *Tensor { return tp.relu(x, x.Data) }

func (tp *Tape) relu(x *Tensor, y []float32) *Tensor {
	out := result(append([]int(nil), x.Shape...), y, x)
	if tp.recording(x) && tp.Compress {
		// The mask's bits are taken block by block as the ReLU writes them.
		m := newBitMask(len(y))
		wordChunks(len(y), func(w0, w1 int) {
			for a := w0; a < w1; a += maskBlockWords {
				b := min(a+maskBlockWords, w1)
				lo, hi := a*64, min(b*64, len(y))
				kernels.Relu(y[lo:hi], x.Data[lo:hi])
				kernels.MaskInRange(m.w[a:b], y[lo:hi], 0, inf32)
			}
		})
		tp.record(out, (&maskOp{mask: m, lo: 0, hi: inf32}).bind(out, x))
		return out
	}
	chunks(len(y), func(lo, hi int) { kernels.Relu(y[lo:hi], x.Data[lo:hi]) }) // NaN passes, as in float autograd
	if tp.recording(x) {
		tp.record(out, tp.newMask(y, 0, inf32).bind(out, x))
	}
	return out
}

// maskBlockWords is how many mask words a fused ReLU takes at a time: 4096
// elements, 16 KiB of output still in L1 when their bits are taken.
const maskBlockWords = 64

// Clip is min(max(x, lo), hi); the gradient passes where lo < x < hi.
func (tp *Tape) Clip(x *Tensor, lo, hi float32) *Tensor {
	y := tp.output(len(x.Data), x)
	for i, v := range x.Data {
		y[i] = min(max(v, lo), hi)
	}
	out := result(append([]int(nil), x.Shape...), y, x)
	if tp.recording(x) {
		tp.record(out, tp.newMask(x.Data, lo, hi).bind(out, x))
	}
	return out
}

const inf32 = float32(3.4028234663852886e38)

func (tp *Tape) newMask(ref []float32, lo, hi float32) *maskOp {
	if !tp.Compress {
		return &maskOp{ref: ref, lo: lo, hi: hi}
	}
	m := newBitMask(len(ref))
	wordChunks(len(ref), func(a, b int) { kernels.MaskInRange(m.w[a:b], ref[a*64:min(b*64, len(ref))], lo, hi) })
	return &maskOp{mask: m, lo: lo, hi: hi}
}

func (o *maskOp) bind(out, in *Tensor) *maskOp { o.out, o.in = out.g, in.g; return o }

// backward zeroes dy where the condition fails, in place (dy is dead after
// this op), and hands it to the input.
func (o *maskOp) backward() {
	if o.out.Data == nil || o.in == nil {
		return
	}
	o.out.own()
	dy := o.out.Data
	if o.mask != nil {
		wordChunks(len(dy), func(lo, hi int) { kernels.ZeroUnmasked(dy[lo*64:min(hi*64, len(dy))], o.mask.w[lo:hi]) })
	} else {
		chunks(len(dy), func(lo, hi int) { kernels.ZeroOutside(dy[lo:hi], o.ref[lo:hi], o.lo, o.hi) })
	}
	o.in.takeFrom(o.out)
}

func (o *maskOp) saved() []Saved {
	if o.mask != nil {
		return []Saved{o.mask}
	}
	return []Saved{floatRef{d: o.ref}}
}
