package infer

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// poolPlan lists, for every output position of one (n, c) plane, the plane
// offsets of the input elements under its window, and the divisor that
// count_include_pad=1 uses. The taps of output o are
// taps[start[o]:start[o+1]].
type poolPlan struct {
	outShape []int // spatial output dims
	taps     []int // input offsets inside the plane, output after output
	start    []int // per output position and one more: index into taps
	padded   []int // per output position, taps inside the padded input
	inPlane  int
	// 2-D pools skip the tap lists and loop directly over the window.
	win     schema.Geometry
	in      []int   // spatial input dims
	axisPad [][]int // per axis and output coordinate, taps inside the padding
}

// planPool resolves the window for the spatial dims of x and builds the
// plan for the spatial output dims the op layer inferred.
func planPool(w *schema.Window, spatial, outShape []int) (*poolPlan, error) {
	win, err := w.Resolve(spatial, nil)
	if err != nil {
		return nil, err
	}
	p := &poolPlan{outShape: outShape, inPlane: product(spatial), win: win, in: spatial}
	axes := make([][][]int, len(spatial)) // per axis, per output coord: valid input coords
	pads := make([][]int, len(spatial))   // per axis, per output coord: taps inside padding
	if _, err := numElements(append(clone(p.outShape), win.Kernel...)); err != nil {
		return nil, fmt.Errorf("pooling work: %w", err)
	}
	for i, in := range spatial {
		axes[i], pads[i] = axisTaps(win, i, in, p.outShape[i])
	}
	if len(spatial) == 2 {
		p.axisPad = pads
		return p, nil
	}
	p.build(axes, pads, strides(spatial))
	return p, nil
}

func axisTaps(w schema.Geometry, i, in, out int) ([][]int, []int) {
	valid := make([][]int, out)
	padded := make([]int, out)
	for o := range out {
		for k := 0; k < w.Kernel[i]; k++ {
			x := o*w.Strides[i] - w.PadBegin[i] + k*w.Dilations[i]
			if x >= 0 && x < in {
				valid[o] = append(valid[o], x)
			}
			if x >= -w.PadBegin[i] && x < in+w.PadEnd[i] {
				padded[o]++
			}
		}
	}
	return valid, padded
}

// build takes the Cartesian product of the per-axis taps.
func (p *poolPlan) build(axes [][][]int, pads [][]int, st []int) {
	total := product(p.outShape)
	p.start = make([]int, total+1)
	p.padded = make([]int, total)
	idx := make([]int, len(p.outShape))
	var offs, next []int
	for o := range total {
		offs = append(offs[:0], 0)
		cnt := 1
		for a, oi := range idx {
			next = next[:0]
			for _, base := range offs {
				for _, x := range axes[a][oi] {
					next = append(next, base+x*st[a])
				}
			}
			offs, next = next, offs
			cnt *= pads[a][oi]
		}
		p.taps = append(p.taps, offs...)
		p.start[o+1], p.padded[o] = len(p.taps), cnt
		increment(idx, p.outShape)
	}
}

// window returns the taps of output position o.
func (p *poolPlan) window(o int) []int { return p.taps[p.start[o]:p.start[o+1]] }

func poolInput(x *ir.Tensor) ([]float32, error) {
	if len(x.Shape) < 3 {
		return nil, fmt.Errorf("input has shape %v, needs rank >= 3 (N, C, spatial...)", x.Shape)
	}
	return floats(x, "input")
}

func opMaxPool(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a := attrs[schema.MaxPool](c)
	xs, err := poolInput(in[0])
	if err != nil {
		return nil, err
	}
	shape := c.shape(0)
	p, err := planPool(&a.Window, in[0].Shape[2:], shape[2:])
	if err != nil {
		return nil, err
	}
	n := c.node
	if p.axisPad != nil && (len(n.Outputs) < 2 || n.Outputs[1] == "") {
		y, ys, err := c.f32Overwritten(shape) // 2-D without Indices: the fast path
		if err == nil {
			p.maxPool2DPlanes(xs, ys)
		}
		return []*ir.Tensor{y}, err
	}
	y, ys, err := c.f32(shape)
	if err != nil {
		return nil, err
	}
	ind, err := c.alloc(ir.Int64, clone(shape))
	if err != nil {
		return nil, err
	}
	if p.axisPad != nil {
		p.max2D(xs, ys, ind.Data.([]int64))
	} else {
		p.max(xs, ys, ind.Data.([]int64))
	}
	if a.StorageOrder == 1 {
		columnMajor(ind.Data.([]int64), in[0].Shape[2:])
	}
	return []*ir.Tensor{y, ind}, nil
}

func (p *poolPlan) max(xs, ys []float32, ind []int64) {
	nout := len(p.padded)
	for pl := 0; pl*nout < len(ys); pl++ {
		x := xs[pl*p.inPlane : (pl+1)*p.inPlane]
		for o := range nout {
			taps := p.window(o)
			best, at := float32(math.Inf(-1)), -1
			for _, off := range taps {
				// The first NaN wins, as in the 2-D paths.
				if v := x[off]; at < 0 || v > best || v != v && best == best {
					best, at = v, off
				}
			}
			ys[pl*nout+o] = best
			ind[pl*nout+o] = int64(pl*p.inPlane + at)
		}
	}
}

// columnMajor rewrites row-major plane offsets of MaxPool's Indices as
// column-major ones (storage_order=1).
func columnMajor(ind []int64, spatial []int) {
	plane := int64(product(spatial))
	rowSt := strides(spatial)
	colSt := make([]int, len(spatial))
	acc := 1
	for i := range spatial {
		colSt[i] = acc
		acc *= spatial[i]
	}
	for i, v := range ind {
		base, off := v/plane*plane, int(v%plane)
		col := 0
		for d := range spatial {
			col += off / rowSt[d] * colSt[d]
			off %= rowSt[d]
		}
		ind[i] = base + int64(col)
	}
}

func opAveragePool(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a := attrs[schema.AveragePool](c)
	xs, err := poolInput(in[0])
	if err != nil {
		return nil, err
	}
	p, err := planPool(&a.Window, in[0].Shape[2:], c.shape(0)[2:])
	if err != nil {
		return nil, err
	}
	y, ys, err := c.f32(c.shape(0))
	if err != nil {
		return nil, err
	}
	if p.axisPad != nil {
		p.average2D(xs, ys, a.CountIncludePad)
	} else {
		p.average(xs, ys, a.CountIncludePad)
	}
	return []*ir.Tensor{y}, nil
}

func (p *poolPlan) average(xs, ys []float32, includePad bool) {
	nout := len(p.padded)
	for pl := 0; pl*nout < len(ys); pl++ {
		x := xs[pl*p.inPlane : (pl+1)*p.inPlane]
		for o := range nout {
			taps := p.window(o)
			var s float32
			for _, off := range taps {
				s += x[off]
			}
			div := len(taps)
			if includePad {
				div = p.padded[o]
			}
			if div > 0 {
				ys[pl*nout+o] = s / float32(div)
			}
		}
	}
}

func opGlobalAveragePool(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return globalPool(c, in[0], func(v []float32) float32 {
		var s float32
		for _, x := range v {
			s += x
		}
		return s / float32(len(v))
	})
}

func opGlobalMaxPool(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return globalPool(c, in[0], func(v []float32) float32 {
		m := float32(math.Inf(-1))
		for _, x := range v {
			m = max(m, x)
		}
		return m
	})
}

// globalPool reduces every (n, c) plane to one value, keeping rank.
func globalPool(c *ctx, x *ir.Tensor, f func([]float32) float32) ([]*ir.Tensor, error) {
	xs, err := poolInput(x)
	if err != nil {
		return nil, err
	}
	y, ys, err := c.f32(c.shape(0))
	if err != nil {
		return nil, err
	}
	plane := product(x.Shape[2:])
	if plane == 0 {
		return []*ir.Tensor{y}, nil
	}
	for i := range ys {
		ys[i] = f(xs[i*plane : (i+1)*plane])
	}
	return []*ir.Tensor{y}, nil
}

// for2D calls f for every output position of every plane with the output
// index, the plane's input slice and the first input row and column of the
// window (which may lie in the padding).
func (p *poolPlan) for2D(xs []float32, nout int, f func(o int, x []float32, h0, w0, oh, ow int)) {
	oh, ow := p.outShape[0], p.outShape[1]
	for pl := 0; pl*oh*ow < nout; pl++ {
		x := xs[pl*p.inPlane : (pl+1)*p.inPlane]
		for i := range oh {
			for j := range ow {
				f(pl*oh*ow+i*ow+j, x, i*p.win.Strides[0]-p.win.PadBegin[0], j*p.win.Strides[1]-p.win.PadBegin[1], i, j)
			}
		}
	}
}

func (p *poolPlan) max2D(xs, ys []float32, ind []int64) {
	H, W, w := p.in[0], p.in[1], p.win
	p.for2D(xs, len(ys), func(o int, x []float32, h0, w0, _, _ int) {
		best, at := float32(math.Inf(-1)), -1
		for kh := range w.Kernel[0] {
			h := h0 + kh*w.Dilations[0]
			if h < 0 || h >= H {
				continue
			}
			for kw := range w.Kernel[1] {
				c := w0 + kw*w.Dilations[1]
				if c < 0 || c >= W {
					continue
				}
				// The first NaN wins, as in the fast path without Indices.
				if v := x[h*W+c]; at < 0 || v > best || v != v && best == best {
					best, at = v, h*W+c
				}
			}
		}
		ys[o] = best
		ind[o] = int64(o/(p.outShape[0]*p.outShape[1])*p.inPlane + at)
	})
}

func (p *poolPlan) average2D(xs, ys []float32, includePad bool) {
	H, W, w := p.in[0], p.in[1], p.win
	p.for2D(xs, len(ys), func(o int, x []float32, h0, w0, oh, ow int) {
		var s float32
		n := 0
		for kh := range w.Kernel[0] {
			h := h0 + kh*w.Dilations[0]
			if h < 0 || h >= H {
				continue
			}
			for kw := range w.Kernel[1] {
				if c := w0 + kw*w.Dilations[1]; c >= 0 && c < W {
					s += x[h*W+c]
					n++
				}
			}
		}
		if includePad {
			n = p.axisPad[0][oh] * p.axisPad[1][ow]
		}
		if n > 0 {
			ys[o] = s / float32(n)
		}
	})
}
