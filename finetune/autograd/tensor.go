package autograd

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/kernels"
	"github.com/bincompress/bincompress/ir"
)

// Tensor is a float32 value in row-major order. Its gradient lives in a
// separate Grad so that an op's backward can hold the gradient sink without
// keeping the forward data alive.
type Tensor struct {
	Shape []int
	Data  []float32
	g     *Grad
	// moments, when set, are the sums of each [n][c] plane of Data, taken
	// by the op that wrote it (a recorded Conv) for a BatchNormalization
	// that reads it, so that BN needs no pass of its own for its statistics.
	moments []kernels.PlaneMoments
}

// Grad accumulates the gradient of the loss with respect to one tensor. Data
// is allocated on the first accumulation (nil means no gradient reached it).
type Grad struct {
	Data []float32
	n    int
	keep bool     // a parameter's: outlives the tape, so never adopts a buffer
	bufs *Buffers // an op output's, on a tape with Buffers: Data may be shared
}

// New returns a constant tensor (no gradient flows into it) sharing data.
func New(shape []int, data []float32) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}
}

// Zeros returns a constant tensor of zeros.
func Zeros(shape ...int) *Tensor {
	return New(shape, make([]float32, ir.NumElements(shape)))
}

// Param returns a leaf tensor that gradients flow into (a trainable value).
func Param(shape []int, data []float32) *Tensor {
	t := New(shape, data)
	t.g = &Grad{n: len(data), keep: true}
	return t
}

// Alias returns a tensor with its own data whose gradient is src's gradient:
// the identity straight-through estimator, used for Ŵ = s·sign(W).
func Alias(src *Tensor, data []float32) *Tensor {
	t := New(src.Shape, data)
	t.g = src.g
	return t
}

// RequiresGrad reports whether gradients flow into t.
func (t *Tensor) RequiresGrad() bool { return t != nil && t.g != nil }

// Grad returns t's accumulated gradient, or nil when none reached it.
func (t *Tensor) Grad() []float32 {
	if t.g == nil {
		return nil
	}
	return t.g.Data
}

// ZeroGrad drops the accumulated gradient (the buffer is kept and cleared).
func (t *Tensor) ZeroGrad() {
	if t.g != nil && t.g.Data != nil {
		clear(t.g.Data)
	}
}

// Len is the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

func (t *Tensor) String() string { return fmt.Sprintf("tensor%v", t.Shape) }

// buf returns the gradient buffer to accumulate into, allocating it on
// first use.
func (g *Grad) buf() []float32 {
	if g.Data == nil && g.bufs != nil {
		g.Data = g.bufs.get(g.n)
		clear(g.Data)
	} else if g.Data == nil {
		g.Data = make([]float32, g.n)
	}
	g.own()
	return g.Data
}

// own gives g a buffer of its own before it is written in place: a buffer
// it shares (see share) is copied first.
func (g *Grad) own() {
	if g.bufs.shared(g.Data) {
		d := g.bufs.get(g.n)
		copy(d, g.Data)
		g.bufs.put(g.Data)
		g.Data = d
	}
}

// share accumulates d, which another gradient holds too: as a shared,
// read-only buffer when none has arrived yet (saving a copy; whoever
// writes it first copies it, see own), else as an ordinary add.
func (g *Grad) share(d []float32) {
	if g == nil {
		return
	}
	if g.Data == nil && len(d) == g.n && g.bufs.share(d) {
		g.Data = d
		return
	}
	g.add(d)
}

// add accumulates d into the gradient (no-op for a nil Grad); the first
// gradient to arrive is copied.
func (g *Grad) add(d []float32) {
	if g == nil {
		return
	}
	if g.Data == nil {
		if g.bufs != nil {
			g.Data = g.bufs.get(g.n)
			copy(g.Data, d)
		} else {
			g.Data = append([]float32(nil), d...) // not zeroed first, unlike make
		}
		return
	}
	g.own()
	chunks(len(d), func(lo, hi int) { kernels.AddInto(g.Data[lo:hi], d[lo:hi]) })
}

// take accumulates d, a buffer nobody else will read or write any more,
// adopting it as the gradient when none has arrived yet (saving a copy);
// it reports whether it did. A parameter's gradient, which outlives the
// tape and its Buffers, copies instead.
func (g *Grad) take(d []float32) bool {
	if g == nil {
		return false
	}
	if g.Data == nil && len(d) == g.n && !g.keep {
		g.Data = d
		return true
	}
	g.add(d)
	return false
}

// scratch returns a buffer of n elements to compute a gradient in before
// take: the Buffers' parameter scratch for a parameter's gradient (which
// take copies), else a new buffer that take may adopt.
func (g *Grad) scratch(n int, bufs *Buffers) []float32 {
	if g.keep {
		return bufs.paramScratch(n)
	}
	return make([]float32, n)
}

// takeFrom takes src's gradient (an op's output gradient, dead after the
// op's backward); when g adopts the buffer, src lets go of it.
func (g *Grad) takeFrom(src *Grad) {
	if g.take(src.Data) {
		src.Data = nil
	}
}

// result makes an op's output tensor; it carries a gradient when any input does.
func result(shape []int, data []float32, ins ...*Tensor) *Tensor {
	t := &Tensor{Shape: shape, Data: data}
	for _, in := range ins {
		if in.RequiresGrad() {
			t.g = &Grad{n: len(data)}
			break
		}
	}
	return t
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
