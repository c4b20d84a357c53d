package kernels

import "math"

// PoolParams is a 2-D pooling window over Planes planes of H×W (the N·C
// planes of an NCHW tensor), giving OutH×OutW per plane. The caller picks
// the output size (floor or ceil mode); every window must hold at least
// one input pixel.
type PoolParams struct {
	Planes, H, W     int
	KH, KW           int
	StrideH, StrideW int
	PadTop, PadLeft  int
	OutH, OutW       int
}

// PoolArg is the type of a window offset ky·KW+kx: int32, or uint8 for
// windows of at most 256 taps.
type PoolArg interface{ ~int32 | ~uint8 }

// MaxPoolArg writes each window's maximum over its taps inside the input
// to y [Planes][OutH][OutW], and to arg the window offset of the first tap
// in scan order (ky, then kx) holding it; NaN never wins, and a window
// whose taps are all NaN or −Inf gets −Inf and its first inside tap.
// MaxPoolArgRef defines it.
func MaxPoolArg[T PoolArg](p PoolParams, x, y []float32, arg []T) {
	p.check("MaxPoolArg", len(x), len(y), len(arg))
	ipl, opl := p.H*p.W, p.OutH*p.OutW
	forTasks(p.Planes, 2*float64(p.Planes*opl*p.KH*p.KW), func(pl, _ int) {
		maxPlane(p, x[pl*ipl:(pl+1)*ipl], y[pl*opl:(pl+1)*opl], arg[pl*opl:(pl+1)*opl])
	})
}

// MaxPoolBackward adds dy [Planes][OutH][OutW] to dx [Planes][H][W] at the
// taps arg names (MaxPoolArg's), in output order within each plane; with
// add false it first zeroes each plane of dx (one pass, plane by plane in
// cache, instead of a zeroed buffer and then the sums).
// MaxPoolBackwardRef defines it.
func MaxPoolBackward[T PoolArg](p PoolParams, dy []float32, arg []T, dx []float32, add bool) {
	p.check("MaxPoolBackward", len(dx), len(dy), len(arg))
	ipl, opl := p.H*p.W, p.OutH*p.OutW
	var offs [256]int
	taps := p.tapOffsets(offs[:0])
	forTasks(p.Planes, 2*float64(p.Planes*opl), func(pl, _ int) {
		dxp, dyp, ap := dx[pl*ipl:(pl+1)*ipl], dy[pl*opl:(pl+1)*opl], arg[pl*opl:(pl+1)*opl]
		if !add {
			clear(dxp)
		}
		for oy := range p.OutH {
			for ox := range p.OutW {
				o := oy*p.OutW + ox
				base := (oy*p.StrideH-p.PadTop)*p.W + ox*p.StrideW - p.PadLeft
				if t := int(ap[o]); t < len(taps) {
					dxp[base+taps[t]] += dyp[o]
				} else {
					dxp[base+(t/p.KW)*p.W+t%p.KW] += dyp[o]
				}
			}
		}
	})
}

// tapOffsets appends each tap's offset from its window's corner in the
// plane, for windows of up to cap(dst) taps (none for larger ones).
func (p PoolParams) tapOffsets(dst []int) []int {
	if p.KH*p.KW > cap(dst) {
		return dst
	}
	for ky := range p.KH {
		for kx := range p.KW {
			dst = append(dst, ky*p.W+kx)
		}
	}
	return dst
}

func (p PoolParams) check(name string, xlen, ylen, arglen int) {
	if p.Planes < 0 || p.H < 1 || p.W < 1 || p.KH < 1 || p.KW < 1 || p.StrideH < 1 || p.StrideW < 1 ||
		p.PadTop < 0 || p.PadLeft < 0 || p.PadTop >= p.KH || p.PadLeft >= p.KW || p.OutH < 0 || p.OutW < 0 ||
		(p.OutH-1)*p.StrideH-p.PadTop >= p.H || (p.OutW-1)*p.StrideW-p.PadLeft >= p.W {
		panic("kernels: " + name + ": invalid pooling parameters")
	}
	if xlen < p.Planes*p.H*p.W || ylen < p.Planes*p.OutH*p.OutW || arglen < p.Planes*p.OutH*p.OutW {
		panic("kernels: " + name + ": slice too short")
	}
}

// maxPlane is MaxPoolArg on one plane, as a running arg-max over the taps
// (maxArgStep) on whole output rows: the input rows are first split into
// their column stride phases, padded with −Inf, so that each tap of an
// output row reads a contiguous run. Windows whose taps are all NaN or
// −Inf are redone one by one.
func maxPlane[T PoolArg](p PoolParams, x, y []float32, arg []T) {
	sw := p.StrideW
	// Positions of a phase row: what the taps read, and every input column.
	wq := max(p.OutW+(p.KW-1)/sw, (p.W+p.PadLeft+sw-1)/sw)
	buf := getBuf(p.H*sw*wq + p.OutW)
	defer bufPool.Put(buf)
	ph, best := (*buf)[:p.H*sw*wq], (*buf)[p.H*sw*wq:]
	idx := i32Pool.get(p.OutW)
	defer i32Pool.Put(idx)
	for iy := range p.H {
		p.phaseRows(ph[iy*sw*wq:(iy+1)*sw*wq], wq, x[iy*p.W:(iy+1)*p.W])
	}
	for oy := range p.OutH {
		for i := range best {
			best[i], (*idx)[i] = float32(math.Inf(-1)), -1
		}
		for ky := range p.KH {
			iy := oy*p.StrideH - p.PadTop + ky
			if iy < 0 || iy >= p.H {
				continue
			}
			for kx := range p.KW {
				src := ph[(iy*sw+kx%sw)*wq+kx/sw:]
				maxArgStep(best, *idx, src, int32(ky*p.KW+kx))
			}
		}
		yr, ar := y[oy*p.OutW:(oy+1)*p.OutW], arg[oy*p.OutW:(oy+1)*p.OutW]
		copy(yr, best)
		for ox, t := range *idx {
			if t < 0 {
				yr[ox], ar[ox] = maxWindow[T](p, x, oy, ox)
				continue
			}
			ar[ox] = T(t)
		}
	}
}

// phaseRows writes one input row split into its column stride phases:
// phase b at dst[b·wq:], position q holding padded column q·StrideW + b,
// −Inf where that is padding.
func (p PoolParams) phaseRows(dst []float32, wq int, row []float32) {
	sw := p.StrideW
	if sw == 2 {
		be := p.PadLeft % 2 // the phase of input column 0
		deinterleave2(row, dst[be*wq+p.PadLeft/2:], dst[(1-be)*wq+(p.PadLeft+1)/2:])
	}
	for b := range sw {
		q0, n := phaseRange(b, p.PadLeft, sw, p.W)
		d := dst[b*wq : (b+1)*wq]
		q0, q1 := min(q0, wq), min(q0+n, wq)
		for q := range q0 {
			d[q] = float32(math.Inf(-1))
		}
		for q := q1; q < wq; q++ {
			d[q] = float32(math.Inf(-1))
		}
		if sw == 2 {
			continue
		}
		for q := q0; q < q1; q++ {
			d[q] = row[q*sw+b-p.PadLeft]
		}
	}
}

// maxArgStep sets best[i], idx[i] = src[i], t where src[i] > best[i], for
// i < len(best): one tap of a running arg-max, in which NaN never wins.
func maxArgStep(best []float32, idx []int32, src []float32, t int32) {
	src, idx = src[:len(best)], idx[:len(best)]
	for i := maxArgStepFast(best, idx, src, t); i < len(best); i++ {
		if src[i] > best[i] {
			best[i], idx[i] = src[i], t
		}
	}
}

// maxWindow is one window of MaxPoolArgRef.
func maxWindow[T PoolArg](p PoolParams, x []float32, oy, ox int) (float32, T) {
	best, bi, first := float32(math.Inf(-1)), -1, -1
	for ky := range p.KH {
		iy := oy*p.StrideH - p.PadTop + ky
		if iy < 0 || iy >= p.H {
			continue
		}
		for kx := range p.KW {
			ix := ox*p.StrideW - p.PadLeft + kx
			if ix < 0 || ix >= p.W {
				continue
			}
			if first < 0 {
				first = ky*p.KW + kx
			}
			if v := x[iy*p.W+ix]; v > best {
				best, bi = v, ky*p.KW+kx
			}
		}
	}
	if bi < 0 {
		bi = first
	}
	return best, T(bi)
}
