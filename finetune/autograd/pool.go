package autograd

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/internal/backend"
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

// window calls f(input offset within the plane, window offset) for the taps of
// output (oy, ox) that fall inside the input.
func (g geom) window(oy, ox int, f func(xi, wi int)) {
	for ky := range g.KH {
		iy := oy*g.StrideH - g.PadTop + ky
		if iy < 0 || iy >= g.h {
			continue
		}
		for kx := range g.KW {
			ix := ox*g.StrideW - g.PadLeft + kx
			if ix >= 0 && ix < g.w {
				f(iy*g.w+ix, ky*g.KW+kx)
			}
		}
	}
}

// maxPoolOp saves each output's argmax as a window offset: int32 on an
// exact tape, one byte on a compressing tape (windows up to 256 taps).
type maxPoolOp struct {
	g       geom
	be      backend.Backend
	arg     backend.Saved
	out, in *Grad
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
	tp.record(out, &maxPoolOp{g: g, be: be, arg: arg, out: out.g, in: x.g})
	return out, nil
}

func (o *maxPoolOp) backward() {
	dy := o.out.value()
	if dy == nil {
		return
	}
	o.be.MaxPoolBackward(o.g.pool(), dy, o.arg, o.in.accumulator())
}

func (o *maxPoolOp) saved() []Saved { return []Saved{asSaved(o.be, o.arg)} }

// avgPoolOp saves nothing: the geometry alone defines the backward.
type avgPoolOp struct {
	g       geom
	be      backend.Backend
	out, in *Grad
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
	tp.record(out, &avgPoolOp{g: g, be: be, out: out.g, in: x.g})
	return out, nil
}

func (g geom) divisor(oy, ox int) float32 {
	if !g.CountIncludePad {
		n := 0
		g.window(oy, ox, func(int, int) { n++ })
		return float32(max(n, 1))
	}
	span := func(o, s, p, k, in, pe int) int {
		lo := o*s - p
		return min(lo+k, in+pe) - lo
	}
	return float32(span(oy, g.StrideH, g.PadTop, g.KH, g.h, g.PadBottom) * span(ox, g.StrideW, g.PadLeft, g.KW, g.w, g.PadRight))
}

func (o *avgPoolOp) backward() {
	dy := o.out.value()
	if dy == nil {
		return
	}
	o.be.AvgPoolBackward(o.g.pool(), dy, o.in.accumulator())
}

func (o *avgPoolOp) saved() []Saved { return nil }

// GlobalAveragePool averages each channel's plane to [N, C, 1, 1].
func (tp *Tape) GlobalAveragePool(x *Tensor) (*Tensor, error) {
	if len(x.Shape) != 4 {
		return nil, fmt.Errorf("autograd: global average pool wants a 4-D input, got %v", x.Shape)
	}
	return tp.AveragePool(x, PoolAttrs{KH: x.Shape[2], KW: x.Shape[3]})
}

// The CPU's pooling: one goroutine per plane, windows in order.

// MaxPool keeps the first maximum in window order; the offsets are bytes
// when small, else int32.
func (CPU) MaxPool(p backend.Pool, xb, yb backend.Buffer, small bool) backend.Saved {
	g, x, y := geomOf(p), host(xb), host(yb)
	planes, opl := g.n*g.c, g.oh*g.ow
	arg := make([]int32, len(y))
	parallelFor(planes, func(p int) {
		xp := x[p*g.h*g.w : (p+1)*g.h*g.w]
		for o := range opl {
			best, bi := float32(math.Inf(-1)), int32(0)
			g.window(o/g.ow, o%g.ow, func(xi, wi int) {
				if xp[xi] > best {
					best, bi = xp[xi], int32(wi)
				}
			})
			y[p*opl+o], arg[p*opl+o] = best, bi
		}
	})
	if !small {
		return &int32Buf{v: arg}
	}
	b := &byteBuf{b: make([]uint8, len(arg))}
	for i, v := range arg {
		b.b[i] = uint8(v)
	}
	return b
}

func (CPU) MaxPoolBackward(p backend.Pool, dyb backend.Buffer, arg backend.Saved, dxb backend.Buffer) {
	g, dy, dx := geomOf(p), host(dyb), host(dxb)
	at := func(i int) int { return int(arg.(*int32Buf).v[i]) }
	if b, ok := arg.(*byteBuf); ok {
		at = func(i int) int { return int(b.b[i]) }
	}
	opl, ipl := g.oh*g.ow, g.h*g.w
	parallelFor(g.n*g.c, func(p int) {
		for q := range opl {
			i := p*opl + q
			oy, ox, wi := q/g.ow, q%g.ow, at(i)
			iy := oy*g.StrideH - g.PadTop + wi/g.KW
			ix := ox*g.StrideW - g.PadLeft + wi%g.KW
			dx[p*ipl+iy*g.w+ix] += dy[i]
		}
	})
}

func (CPU) AvgPool(p backend.Pool, xb, yb backend.Buffer) {
	g, x, y := geomOf(p), host(xb), host(yb)
	opl := g.oh * g.ow
	parallelFor(g.n*g.c, func(p int) {
		xp := x[p*g.h*g.w : (p+1)*g.h*g.w]
		for o := range opl {
			var s float32
			g.window(o/g.ow, o%g.ow, func(xi, _ int) { s += xp[xi] })
			y[p*opl+o] = s / g.divisor(o/g.ow, o%g.ow)
		}
	})
}

func (CPU) AvgPoolBackward(p backend.Pool, dyb, dxb backend.Buffer) {
	g, dy, dx := geomOf(p), host(dyb), host(dxb)
	opl, ipl := g.oh*g.ow, g.h*g.w
	parallelFor(g.n*g.c, func(p int) {
		for q := range opl {
			v := dy[p*opl+q] / g.divisor(q/g.ow, q%g.ow)
			g.window(q/g.ow, q%g.ow, func(xi, _ int) { dx[p*ipl+xi] += v })
		}
	})
}
