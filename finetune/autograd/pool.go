package autograd

import (
	"fmt"

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

// maxPoolOp saves each output's argmax as a window offset: int32 on an
// exact tape, one byte on a compressing tape (windows up to 256 taps).
type maxPoolOp struct {
	g       geom
	idx32   *int32Buf
	idx8    *byteBuf
	out, in *Grad
	bufs    *Buffers // the tape's, for backward's dx
}

// MaxPool takes the maximum over each window (padding never wins).
func (tp *Tape) MaxPool(x *Tensor, a PoolAttrs) (*Tensor, error) {
	g, err := poolGeom(x, a)
	if err != nil {
		return nil, err
	}
	y := tp.output(g.n*g.c*g.oh*g.ow, x)
	rec := tp.recording(x)
	o := &maxPoolOp{g: g}
	if (!rec || tp.Compress) && g.KH*g.KW <= 256 {
		o.idx8 = &byteBuf{b: make([]uint8, len(y))}
		kernels.MaxPoolArg(g.kernel(), x.Data, y, o.idx8.b)
	} else {
		o.idx32 = &int32Buf{v: make([]int32, len(y))}
		kernels.MaxPoolArg(g.kernel(), x.Data, y, o.idx32.v)
	}
	out := result([]int{g.n, g.c, g.oh, g.ow}, y, x)
	if rec {
		o.out, o.in, o.bufs = out.g, x.g, tp.Buffers
		tp.record(out, o)
	}
	return out, nil
}

// kernel is g as the kernels' pooling parameters.
func (g geom) kernel() kernels.PoolParams {
	return kernels.PoolParams{Planes: g.n * g.c, H: g.h, W: g.w, KH: g.KH, KW: g.KW, StrideH: g.StrideH, StrideW: g.StrideW,
		PadTop: g.PadTop, PadLeft: g.PadLeft, OutH: g.oh, OutW: g.ow}
}

func (o *maxPoolOp) backward() {
	dy := o.out.Data
	if dy == nil {
		return
	}
	// The first gradient to reach x is written whole, into a recycled
	// buffer, rather than added to a zeroed one.
	first := o.in.Data == nil
	dx := o.in.Data
	if first {
		dx = o.bufs.get(o.in.n)
	} else {
		dx = o.in.buf()
	}
	if o.idx8 != nil {
		kernels.MaxPoolBackward(o.g.kernel(), dy, o.idx8.b, dx, !first)
	} else {
		kernels.MaxPoolBackward(o.g.kernel(), dy, o.idx32.v, dx, !first)
	}
	if first && !o.in.take(dx) {
		o.bufs.put(dx)
	}
}

func (o *maxPoolOp) saved() []Saved {
	if o.idx8 != nil {
		return []Saved{o.idx8}
	}
	return []Saved{o.idx32}
}

// avgPoolOp saves nothing: the geometry alone defines the backward.
type avgPoolOp struct {
	g       geom
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
	y := tp.output(g.n*g.c*g.oh*g.ow, x)
	kernels.AvgPool(g.kernel(), g.CountIncludePad, g.PadBottom, g.PadRight, x.Data, y)
	out := result([]int{g.n, g.c, g.oh, g.ow}, y, x)
	if tp.recording(x) {
		tp.record(out, &avgPoolOp{g: g, out: out.g, in: x.g, bufs: tp.Buffers})
	}
	return out, nil
}

func (o *avgPoolOp) backward() {
	dy := o.out.Data
	if dy == nil {
		return
	}
	first := o.in.Data == nil // then written into a recycled buffer, zeroed here
	dx := o.in.Data
	if first {
		dx = o.bufs.get(o.in.n)
		clear(dx)
	} else {
		dx = o.in.buf()
	}
	kernels.AvgPoolBackward(o.g.kernel(), o.g.CountIncludePad, o.g.PadBottom, o.g.PadRight, dy, dx)
	if first && !o.in.take(dx) {
		o.bufs.put(dx)
	}
}

func (o *avgPoolOp) saved() []Saved { return nil }

// GlobalAveragePool averages each channel's plane to [N, C, 1, 1].
func (tp *Tape) GlobalAveragePool(x *Tensor) (*Tensor, error) {
	if len(x.Shape) != 4 {
		return nil, fmt.Errorf("autograd: global average pool wants a 4-D input, got %v", x.Shape)
	}
	return tp.AveragePool(x, PoolAttrs{KH: x.Shape[2], KW: x.Shape[3]})
}
