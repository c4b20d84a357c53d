package autograd

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/backend"
	"github.com/bincompress/bincompress/internal/kernels"
)

// PoolAttrs are ONNX MaxPool/AveragePool attributes for 2-D pooling.
type PoolAttrs struct {
	KH, KW              int
	StrideH, StrideW    int
	PadTop, PadLeft     int
	PadBottom, PadRight int
	CeilMode            bool
	CountIncludePad     bool // AveragePool only
}

// geom is a pooling problem's geometry.
type geom struct {
	PoolAttrs
	n, c, h, w, oh, ow int
}

func poolGeom(x *Tensor, a PoolAttrs) (geom, error) {
	if len(x.Shape) != 4 {
		return geom{}, fmt.Errorf("autograd: pooling wants a 4-D input, got %v", x.Shape)
	}
	a.StrideH, a.StrideW = max(a.StrideH, 1), max(a.StrideW, 1)
	g := geom{PoolAttrs: a, n: x.Shape[0], c: x.Shape[1], h: x.Shape[2], w: x.Shape[3]}
	g.oh = poolOut(g.h, a.PadTop, a.PadBottom, a.KH, a.StrideH, a.CeilMode)
	g.ow = poolOut(g.w, a.PadLeft, a.PadRight, a.KW, a.StrideW, a.CeilMode)
	if a.KH < 1 || a.KW < 1 || g.oh < 1 || g.ow < 1 {
		return g, fmt.Errorf("autograd: pooling kernel %dx%d does not fit input %v", a.KH, a.KW, x.Shape)
	}
	if min(a.PadTop, a.PadLeft, a.PadBottom, a.PadRight) < 0 || max(a.PadTop, a.PadBottom) >= a.KH || max(a.PadLeft, a.PadRight) >= a.KW {
		return g, fmt.Errorf("autograd: pooling pads %d,%d,%d,%d must be at least 0 and smaller than the kernel %dx%d",
			a.PadTop, a.PadLeft, a.PadBottom, a.PadRight, a.KH, a.KW)
	}
	return g, nil
}

// poolOut is the output size; in ceil mode a window that would start in the
// trailing padding is dropped (as ONNX and PyTorch do).
func poolOut(in, pa, pb, k, s int, ceil bool) int {
	span := in + pa + pb - k
	if span < 0 {
		return 0
	}
	if !ceil {
		return span/s + 1
	}
	out := (span+s-1)/s + 1
	if (out-1)*s >= in+pa {
		out--
	}
	return out
}

// pool is g as the backend interface takes it.
func (g geom) pool() backend.Pool {
	return backend.Pool{N: g.n, C: g.c, H: g.h, W: g.w, OH: g.oh, OW: g.ow, KH: g.KH, KW: g.KW,
		StrideH: g.StrideH, StrideW: g.StrideW, PadTop: g.PadTop, PadLeft: g.PadLeft, PadBottom: g.PadBottom,
		PadRight: g.PadRight, CountIncludePad: g.CountIncludePad}
}

// geomOf is pool's inverse.
func geomOf(p backend.Pool) geom {
	return geom{PoolAttrs: PoolAttrs{KH: p.KH, KW: p.KW, StrideH: p.StrideH, StrideW: p.StrideW, PadTop: p.PadTop,
		PadLeft: p.PadLeft, PadBottom: p.PadBottom, PadRight: p.PadRight, CountIncludePad: p.CountIncludePad},
		n: p.N, c: p.C, h: p.H, w: p.W, oh: p.OH, ow: p.OW}
}

// kernel is g as the kernels' pooling parameters.
func (g geom) kernel() kernels.PoolParams {
	return kernels.PoolParams{Planes: g.n * g.c, H: g.h, W: g.w, KH: g.KH, KW: g.KW, StrideH: g.StrideH, StrideW: g.StrideW,
		PadTop: g.PadTop, PadLeft: g.PadLeft, OutH: g.oh, OutW: g.ow}
}

// maxPoolOp saves each output's argmax as a window offset: int32 on an
// exact tape, one byte on a compressing tape (windows up to 256 taps).
type maxPoolOp struct {
	g       geom
	be      backend.Backend
	arg     backend.Saved
	out, in *Grad
	bufs    *Buffers // the tape's, for backward's dx
}

// MaxPool takes the maximum over each window (padding never wins).
func (tp *Tape) MaxPool(x *Tensor, a PoolAttrs) (*Tensor, error) {
	g, err := poolGeom(x, a)
	if err != nil {
		return nil, err
	}
	be := x.Backend()
	y := tp.outputOn(be, g.n*g.c*g.oh*g.ow, x)
	rec := tp.recording(x)
	arg := be.MaxPool(g.pool(), x.Buffer(), y, rec && tp.Compress && g.KH*g.KW <= 256)
	out := resultOn(be, []int{g.n, g.c, g.oh, g.ow}, y, x)
	if !rec {
		be.Release(arg)
		return out, nil
	}
	tp.record(out, &maxPoolOp{g: g, be: be, arg: arg, out: out.g, in: x.g, bufs: tp.Buffers})
	return out, nil
}

func (o *maxPoolOp) backward() {
	dy := o.out.value()
	if dy == nil {
		return
	}
	dx, done := poolGrad(o.be, o.bufs, o.in)
	o.be.MaxPoolBackward(o.g.pool(), dy, o.arg, dx)
	done()
}

// poolGrad is the buffer a pooling backward adds x's gradient g into: g's
// own once a gradient has arrived, else a recycled scratch buffer zeroed
// here (not a freshly allocated one: 100 MB at 224×224), which done then
// hands to g.
func poolGrad(be backend.Backend, bufs *Buffers, g *Grad) (backend.Buffer, func()) {
	if g.value() != nil {
		return g.accumulator(), func() {}
	}
	dx := scratch(be, bufs, g.n)
	be.Fill(dx, 0)
	return dx, func() { g.takeBuf(be, bufs, dx) }
}

func (o *maxPoolOp) saved() []Saved { return []Saved{asSaved(o.be, o.arg)} }

// avgPoolOp saves nothing: the geometry alone defines the backward.
type avgPoolOp struct {
	g       geom
	be      backend.Backend
	out, in *Grad
	bufs    *Buffers // the tape's, for backward's dx
}

// AveragePool averages each window; the divisor counts the taps inside the
// input, or inside the padded input when CountIncludePad is set.
func (tp *Tape) AveragePool(x *Tensor, a PoolAttrs) (*Tensor, error) {
	g, err := poolGeom(x, a)
	if err != nil {
		return nil, err
	}
	be := x.Backend()
	y := tp.outputOn(be, g.n*g.c*g.oh*g.ow, x)
	be.AvgPool(g.pool(), x.Buffer(), y)
	out := resultOn(be, []int{g.n, g.c, g.oh, g.ow}, y, x)
	if tp.recording(x) {
		tp.record(out, &avgPoolOp{g: g, be: be, out: out.g, in: x.g, bufs: tp.Buffers})
	}
	return out, nil
}

func (o *avgPoolOp) backward() {
	dy := o.out.value()
	if dy == nil {
		return
	}
	dx, done := poolGrad(o.be, o.bufs, o.in)
	o.be.AvgPoolBackward(o.g.pool(), dy, dx)
	done()
}

func (o *avgPoolOp) saved() []Saved { return nil }

// GlobalAveragePool averages each channel's plane to [N, C, 1, 1].
func (tp *Tape) GlobalAveragePool(x *Tensor) (*Tensor, error) {
	if len(x.Shape) != 4 {
		return nil, fmt.Errorf("autograd: global average pool wants a 4-D input, got %v", x.Shape)
	}
	return tp.AveragePool(x, PoolAttrs{KH: x.Shape[2], KW: x.Shape[3]})
}

// The CPU's pooling: the kernels package's loops (a tap table per plane
// row, windows in order).

// MaxPool keeps the first maximum in window order; the offsets are bytes
// when small, else int32.
func (CPU) MaxPool(p backend.Pool, xb, yb backend.Buffer, small bool) backend.Saved {
	k, x, y := geomOf(p).kernel(), host(xb), host(yb)
	if small {
		b := &byteBuf{b: make([]uint8, len(y))}
		kernels.MaxPoolArg(k, x, y, b.b)
		return b
	}
	b := &int32Buf{v: make([]int32, len(y))}
	kernels.MaxPoolArg(k, x, y, b.v)
	return b
}

func (CPU) MaxPoolBackward(p backend.Pool, dyb backend.Buffer, arg backend.Saved, dxb backend.Buffer) {
	k, dy, dx := geomOf(p).kernel(), host(dyb), host(dxb)
	if b, ok := arg.(*byteBuf); ok {
		kernels.MaxPoolBackward(k, dy, b.b, dx, true)
		return
	}
	kernels.MaxPoolBackward(k, dy, arg.(*int32Buf).v, dx, true)
}

func (CPU) AvgPool(p backend.Pool, xb, yb backend.Buffer) {
	kernels.AvgPool(geomOf(p).kernel(), p.CountIncludePad, p.PadBottom, p.PadRight, host(xb), host(yb))
}

func (CPU) AvgPoolBackward(p backend.Pool, dyb, dxb backend.Buffer) {
	kernels.AvgPoolBackward(geomOf(p).kernel(), p.CountIncludePad, p.PadBottom, p.PadRight, host(dyb), host(dxb))
}
