package autograd

import "github.com/bincompress/bincompress/internal/kernels"

// leakyOp scales the gradient by α where x ≤ 0. It keeps x as a float
// reference on an exact tape (as float autograd does) and, on a compressing
// tape, the exact condition x > 0 as one bit per element: the derivative is
// 1 or α, nothing in between.
type leakyOp struct {
	alpha   float32
	x       []float32 // exact tape
	pos     *bitMask  // compressing tape
	out, in *Grad
}

// LeakyRelu is x for x > 0 and α·x elsewhere (ONNX LeakyRelu).
func (tp *Tape) LeakyRelu(x *Tensor, alpha float32) *Tensor {
	y := tp.output(len(x.Data), x)
	chunks(len(y), func(lo, hi int) {
		for i, v := range x.Data[lo:hi] {
			if !(v > 0) {
				v *= alpha
			}
			y[lo+i] = v
		}
	})
	out := result(append([]int(nil), x.Shape...), y, x)
	if tp.recording(x) {
		o := &leakyOp{alpha: alpha, out: out.g, in: x.g}
		if tp.Compress {
			o.pos = positive(x.Data)
		} else {
			o.x = x.Data
		}
		tp.record(out, o)
	}
	return out
}

// positive is the mask of x > 0 (the condition ReLU's gradient keeps).
func positive(x []float32) *bitMask {
	m := newBitMask(len(x))
	wordChunks(len(x), func(a, b int) { kernels.MaskInRange(m.w[a:b], x[a*64:min(b*64, len(x))], 0, inf32) })
	return m
}

// has reports bit i.
func (m *bitMask) has(i int) bool { return m.w[i>>6]>>(i&63)&1 != 0 }

// isPositive reports whether element i of the saved input is > 0.
func (o *leakyOp) isPositive(i int) bool {
	if o.pos != nil {
		return o.pos.has(i)
	}
	return o.x[i] > 0 && o.x[i] < inf32
}

func (o *leakyOp) backward() {
	if o.out.Data == nil || o.in == nil {
		return
	}
	o.out.own()
	dy := o.out.Data
	chunks(len(dy), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if !o.isPositive(i) {
				dy[i] *= o.alpha
			}
		}
	})
	o.in.takeFrom(o.out)
}

func (o *leakyOp) saved() []Saved {
	if o.pos != nil {
		return []Saved{o.pos}
	}
	return []Saved{floatRef{d: o.x}}
}
