package kernels

// AvgPool writes each window's mean to y [Planes][OutH][OutW]: the float32
// sum of its taps inside the input in scan order (ky, then kx), divided by
// their count, or with includePad by the window's size within the padded
// input (bottom and right pads padB, padR). AvgPoolRef defines it; windows
// inside the input read their taps through a table, without bounds tests.
func AvgPool(p PoolParams, includePad bool, padB, padR int, x, y []float32) {
	p.check("AvgPool", len(x), len(y), len(y))
	ipl, opl := p.H*p.W, p.OutH*p.OutW
	var offs [256]int
	taps := p.tapOffsets(offs[:0])
	ox0, ox1 := p.insideColumns()
	forTasks(p.Planes, 2*float64(p.Planes*opl*p.KH*p.KW), func(pl, _ int) {
		xp, yp := x[pl*ipl:(pl+1)*ipl], y[pl*opl:(pl+1)*opl]
		for oy := range p.OutH {
			iy := oy*p.StrideH - p.PadTop
			inside := len(taps) > 0 && iy >= 0 && iy+p.KH <= p.H
			for ox := range p.OutW {
				if !inside || ox < ox0 || ox >= ox1 {
					yp[oy*p.OutW+ox] = avgWindow(p, includePad, padB, padR, xp, oy, ox)
					continue
				}
				w := xp[iy*p.W+ox*p.StrideW-p.PadLeft:]
				var s float32
				for _, off := range taps {
					s += w[off]
				}
				yp[oy*p.OutW+ox] = s / float32(p.KH*p.KW)
			}
		}
	})
}

// AvgPoolBackward adds to dx [Planes][H][W], for each output in order and
// each of its taps inside the input in scan order, dy over the window's
// divisor (AvgPool's). AvgPoolBackwardRef defines it.
func AvgPoolBackward(p PoolParams, includePad bool, padB, padR int, dy, dx []float32) {
	p.check("AvgPoolBackward", len(dx), len(dy), len(dy))
	ipl, opl := p.H*p.W, p.OutH*p.OutW
	var offs [256]int
	taps := p.tapOffsets(offs[:0])
	ox0, ox1 := p.insideColumns()
	forTasks(p.Planes, 2*float64(p.Planes*opl*p.KH*p.KW), func(pl, _ int) {
		dxp, dyp := dx[pl*ipl:(pl+1)*ipl], dy[pl*opl:(pl+1)*opl]
		for oy := range p.OutH {
			iy := oy*p.StrideH - p.PadTop
			inside := len(taps) > 0 && iy >= 0 && iy+p.KH <= p.H
			for ox := range p.OutW {
				if !inside || ox < ox0 || ox >= ox1 {
					avgWindowBackward(p, includePad, padB, padR, dxp, dyp[oy*p.OutW+ox], oy, ox)
					continue
				}
				v := dyp[oy*p.OutW+ox] / float32(p.KH*p.KW)
				w := dxp[iy*p.W+ox*p.StrideW-p.PadLeft:]
				for _, off := range taps {
					w[off] += v
				}
			}
		}
	})
}

// insideColumns is the output columns [ox0, ox1) whose windows have every
// kx inside the input.
func (p PoolParams) insideColumns() (ox0, ox1 int) {
	ox0 = min(p.OutW, (p.PadLeft+p.StrideW-1)/p.StrideW)
	ox1 = max(ox0, min(p.OutW, (p.W-p.KW+p.PadLeft)/p.StrideW+1))
	return ox0, ox1
}

// avgSpan is the taps [k0, k1) of a window starting at lo (in input
// coordinates) that lie inside [0, in), and its size within the input
// padded by padEnd at the end.
func avgSpan(lo, k, in, padEnd int) (k0, k1, padded int) {
	k0, k1 = max(0, -lo), min(k, in-lo)
	return k0, k1, min(lo+k, in+padEnd) - lo
}

// avgDivisor is the divisor of output (oy, ox) and its taps inside the
// input, rows [ky0, ky1) and columns [kx0, kx1).
func avgDivisor(p PoolParams, includePad bool, padB, padR, oy, ox int) (div float32, ky0, ky1, kx0, kx1 int) {
	ky0, ky1, hs := avgSpan(oy*p.StrideH-p.PadTop, p.KH, p.H, padB)
	kx0, kx1, ws := avgSpan(ox*p.StrideW-p.PadLeft, p.KW, p.W, padR)
	if includePad {
		return float32(hs * ws), ky0, ky1, kx0, kx1
	}
	return float32(max((ky1-ky0)*(kx1-kx0), 1)), ky0, ky1, kx0, kx1
}

// avgWindow is one window of AvgPoolRef.
func avgWindow(p PoolParams, includePad bool, padB, padR int, x []float32, oy, ox int) float32 {
	div, ky0, ky1, kx0, kx1 := avgDivisor(p, includePad, padB, padR, oy, ox)
	lo := ox*p.StrideW - p.PadLeft
	var s float32
	for ky := ky0; ky < ky1; ky++ {
		row := x[(oy*p.StrideH-p.PadTop+ky)*p.W:]
		for kx := kx0; kx < kx1; kx++ {
			s += row[lo+kx]
		}
	}
	return s / div
}

// avgWindowBackward is one output of AvgPoolBackwardRef.
func avgWindowBackward(p PoolParams, includePad bool, padB, padR int, dx []float32, g float32, oy, ox int) {
	div, ky0, ky1, kx0, kx1 := avgDivisor(p, includePad, padB, padR, oy, ox)
	v, lo := g/div, ox*p.StrideW-p.PadLeft
	for ky := ky0; ky < ky1; ky++ {
		row := dx[(oy*p.StrideH-p.PadTop+ky)*p.W:]
		for kx := kx0; kx < kx1; kx++ {
			row[lo+kx] += v
		}
	}
}
