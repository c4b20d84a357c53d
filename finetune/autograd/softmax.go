package autograd

import (
	"fmt"
	"math"
)

// softmaxOp keeps the output y, from which dx = y·(dy − Σ dy·y) along the
// axis: a float reference on an exact tape, SmoothBits-bit codes on a
// compressing one (attention maps are as large as feature maps).
type softmaxOp struct {
	outer, mid, inner int
	y                 Saved
	out, in           *Grad
	bufs              *Buffers
}

// Softmax normalizes exp(x) along axis (ONNX Softmax from opset 13; the
// older form, over the input coerced to 2-D, is this on a View).
func (tp *Tape) Softmax(x *Tensor, axis int) (*Tensor, error) {
	if axis < 0 || axis >= len(x.Shape) {
		return nil, fmt.Errorf("autograd: softmax axis %d is out of range for %v", axis, x.Shape)
	}
	outer, mid, inner := lenOf(x.Shape[:axis]), x.Shape[axis], lenOf(x.Shape[axis+1:])
	y := tp.output(len(x.Data), x)
	parallelFor(outer, func(b int) {
		for j := range inner {
			softmaxColumn(y[b*mid*inner+j:], x.Data[b*mid*inner+j:], mid, inner)
		}
	})
	out := result(append([]int(nil), x.Shape...), y, x)
	if tp.recording(x) {
		tp.record(out, &softmaxOp{outer: outer, mid: mid, inner: inner, y: tp.saveSmooth(out), out: out.g, in: x.g, bufs: tp.Buffers})
	}
	return out, nil
}

// softmaxColumn normalizes the n values of x at the given stride into y.
func softmaxColumn(y, x []float32, n, stride int) {
	m := float32(math.Inf(-1))
	for i := range n {
		m = max(m, x[i*stride])
	}
	var sum float64
	for i := range n {
		e := math.Exp(float64(x[i*stride] - m))
		y[i*stride] = float32(e)
		sum += e
	}
	for i := range n {
		y[i*stride] = float32(float64(y[i*stride]) / sum)
	}
}

func (o *softmaxOp) backward() {
	if o.out.Data == nil || o.in == nil {
		return
	}
	o.out.own()
	dy := o.out.Data
	y, done := values(o.y, len(dy), o.bufs)
	parallelFor(o.outer, func(b int) {
		for j := range o.inner {
			base := b*o.mid*o.inner + j
			var dot float64
			for i := range o.mid {
				k := base + i*o.inner
				dot += float64(dy[k]) * float64(y[k])
			}
			for i := range o.mid {
				k := base + i*o.inner
				dy[k] = y[k] * (dy[k] - float32(dot))
			}
		}
	})
	done()
	o.in.takeFrom(o.out)
}

func (o *softmaxOp) saved() []Saved { return []Saved{o.y} }
