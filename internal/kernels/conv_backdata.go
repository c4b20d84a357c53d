package kernels

// Backward-data by stride phases, without col2im. With Y = y + padT and
// X = x + padL the padded coordinates of an input position, only the taps
// (i, j) with i·dH ≡ Y and j·dW ≡ X (mod the strides) reach it, and then
//
//	dx[c][y][x] = Σ_{k, (i,j)} w[k][c][i][j] · dy[k][Yq − ⌊i·dH/sH⌋][Xq − ⌊j·dW/sW⌋]
//
// with Yq = ⌊Y/sH⌋, Xq = ⌊X/sW⌋. For each phase (Y mod sH, X mod sW) this is
// a stride-1 correlation of dy (padded by P rows above, Q columns left) with
// that phase's taps: an indirect GEMM whose B rows are windows of the
// padded dy at offsets k·Hd·Wd + (P − ⌊i·dH/sH⌋)·Wd + (Q − ⌊j·dW/sW⌋), its
// output columns Yq·Wd + Xq scattered back into dx.

// backGeom is the padded-dy geometry of one convolution's backward-data.
type backGeom struct {
	p          ConvParams
	cg, kg, kk int
	oh, ow     int
	pp, qq     int // dy padding above and to the left
	hd, wd     int // padded dy
	dypLen     int
	mrows      int
	kern       *microKernel
}

func newBackGeom(p ConvParams, kern *microKernel) backGeom {
	g := backGeom{p: p, kern: kern, cg: p.C / p.Groups, kg: p.K / p.Groups, kk: p.KH * p.KW}
	g.oh, g.ow = p.OutH(), p.OutW()
	g.pp, g.qq = (p.KH-1)*p.DilationH/p.StrideH, (p.KW-1)*p.DilationW/p.StrideW
	g.hd = max(g.oh, (p.H-1+p.PadTop)/p.StrideH+1) + g.pp
	g.wd = max(g.ow, (p.W-1+p.PadLeft)/p.StrideW+1) + g.qq
	g.dypLen = g.kg*g.hd*g.wd + g.wd + g.qq + 2*kern.nr
	g.mrows = (g.cg + kern.mr - 1) / kern.mr * kern.mr
	return g
}

// phaseRange is the range [q0, q0+n) of padded-phase coordinates Yq whose
// input position y = s·Yq + a − pad lies in [0, size).
func phaseRange(a, pad, s, size int) (q0, n int) {
	q0 = max(0, (pad-a+s-1)/s)
	if pad-a < 0 {
		q0 = 0
	}
	last := (size - 1 + pad - a)
	if last < 0 {
		return q0, 0
	}
	return q0, max(0, last/s-q0+1)
}

// packPhaseWeights packs, for group gi and one phase's taps (each
// k·KH·KW + i·KW + j), the weights w[k][c][i][j] as a left operand: rows
// are the group's input channels c, and each ≤ blockKC block of taps is a
// run of mr-row panels at dst[mrows·pc:].
func (g backGeom) packPhaseWeights(dst, w []float32, gi int, taps []int) {
	mr := g.kern.mr
	wg := w[gi*g.kg*g.cg*g.kk:]
	for pc := 0; pc < len(taps); pc += blockKC {
		kc := min(blockKC, len(taps)-pc)
		blk := dst[g.mrows*pc:]
		for c := range g.mrows {
			panel := blk[c/mr*mr*kc:]
			for p, t := range taps[pc : pc+kc] {
				v := float32(0)
				if c < g.cg {
					v = wg[(t/g.kk*g.cg+c)*g.kk+t%g.kk]
				}
				panel[p*mr+c%mr] = v
			}
		}
	}
}

// phaseBackwardData is Conv2DBackwardData by stride phases.
func phaseBackwardData(p ConvParams, dy, w, dx []float32) {
	g := newBackGeom(p, gemmKernel())
	sh, sw := p.StrideH, p.StrideW
	phases, total := sh*sw, g.kg*g.kk
	tapsBuf, offsBuf := getIntBuf(total), getIntBuf(total)
	defer intPool.Put(tapsBuf)
	defer intPool.Put(offsBuf)
	var start [65]int // phase ph's taps are taps[start[ph]:start[ph+1]]
	if phases > 64 {
		panic("kernels: Conv2DBackwardData: more than 64 stride phases")
	}
	taps, offs := (*tapsBuf)[:0], (*offsBuf)[:0]
	for ph := range phases {
		a, b := ph/sw, ph%sw
		start[ph] = len(taps)
		for k := range g.kg {
			for i := range p.KH {
				for j := range p.KW {
					di, dj := i*p.DilationH, j*p.DilationW
					if di%sh == a && dj%sw == b {
						taps = append(taps, k*g.kk+i*p.KW+j)
						offs = append(offs, k*g.hd*g.wd+(g.pp-di/sh)*g.wd+g.qq-dj/sw)
					}
				}
			}
		}
	}
	start[phases] = len(taps)
	for a := range sh {
		// Phase a's windows start y0·Wd into dyp and span its columns.
		y0, ny := phaseRange(a, p.PadTop, sh, p.H)
		ncols := (ny*g.wd + g.kern.nr - 1) / g.kern.nr * g.kern.nr
		checkWindows("backward-data", offs[start[a*sw]:start[(a+1)*sw]], y0*g.wd+ncols, g.dypLen)
	}
	packed := getBuf(p.Groups * g.mrows * total)
	defer bufPool.Put(packed)
	for gi := range p.Groups {
		for ph := range phases {
			g.packPhaseWeights((*packed)[(gi*total+start[ph])*g.mrows:], w, gi, taps[start[ph]:start[ph+1]])
		}
	}
	forTasks(p.N*p.Groups, p.flops(), func(t, _ int) {
		n, gi := t/p.Groups, t%p.Groups
		dyp := getBuf(g.dypLen)
		defer bufPool.Put(dyp)
		g.padDy(*dyp, dy[(n*p.K+gi*g.kg)*g.oh*g.ow:])
		outs := getBuf(phases * g.outLen())
		defer bufPool.Put(outs)
		for ph := range phases {
			out := (*outs)[ph*g.outLen() : (ph+1)*g.outLen()]
			lo, hi := start[ph], start[ph+1]
			g.phase(ph/sw, ph%sw, (*packed)[(gi*total+lo)*g.mrows:], offs[lo:hi], *dyp, out)
		}
		g.scatter(*outs, dx[(n*p.C+gi*g.cg)*p.H*p.W:(n*p.C+(gi+1)*g.cg)*p.H*p.W])
	})
}

// outLen is the size of one phase's output buffer: mrows rows of the
// columns of the tallest phase, ⌈H/sH⌉ rows of Wd.
func (g backGeom) outLen() int {
	ny := (g.p.H + g.p.StrideH - 1) / g.p.StrideH
	return g.mrows * ((ny*g.wd + g.kern.nr - 1) / g.kern.nr * g.kern.nr)
}

// padDy writes one image's group of dy into dyp, P rows and Q columns in.
func (g backGeom) padDy(dyp, dy []float32) {
	clear(dyp)
	for k := range g.kg {
		for r := range g.oh {
			copy(dyp[(k*g.hd+r+g.pp)*g.wd+g.qq:], dy[(k*g.oh+r)*g.ow:(k*g.oh+r+1)*g.ow])
		}
	}
}

// phase computes phase (a, b) of one image and group into out: row c holds
// the input positions (Yq, Xq) at column (Yq−Yq0)·Wd + Xq (zero when the
// phase has no taps). wa holds the phase's packed weights.
func (g backGeom) phase(a, b int, wa []float32, offs []int, dyp, out []float32) {
	p, kern := g.p, g.kern
	y0, ny := phaseRange(a, p.PadTop, p.StrideH, p.H)
	if ny == 0 {
		return
	}
	ncols := (ny*g.wd + kern.nr - 1) / kern.nr * kern.nr
	if len(offs) == 0 {
		clear(out[:g.mrows*ncols])
		return
	}
	base := dyp[y0*g.wd:]
	for pc := 0; pc < len(offs); pc += blockKC {
		kc := min(blockKC, len(offs)-pc)
		blk := wa[g.mrows*pc:]
		for jr := 0; jr < ncols; jr += kern.nr {
			k := kern.indFor(jr, ny*g.wd) // scatter reads no column past ny·Wd
			for ir := 0; ir < g.mrows; ir += kern.mr {
				k.ind(kc, blk[ir*kc:], base[jr:], offs[pc:pc+kc], out[ir*ncols+jr:], ncols, pc > 0)
			}
		}
	}
}

// scatter writes the phase outputs of one image and group into dx; stride-2
// rows are interleaved from their two phases at once.
func (g backGeom) scatter(outs, dxg []float32) {
	p := g.p
	sh, sw := p.StrideH, p.StrideW
	for a := range sh {
		y0, ny := phaseRange(a, p.PadTop, sh, p.H)
		ncols := (ny*g.wd + g.kern.nr - 1) / g.kern.nr * g.kern.nr
		for c := range g.cg {
			dc := dxg[c*p.H*p.W : (c+1)*p.H*p.W]
			for yq := range ny {
				y := sh*(y0+yq) + a - p.PadTop
				drow := dc[y*p.W : (y+1)*p.W]
				row := func(b int) []float32 {
					x0, _ := phaseRange(b, p.PadLeft, sw, p.W)
					return outs[(a*sw+b)*g.outLen()+c*ncols+yq*g.wd+x0:]
				}
				if sw == 2 {
					b0 := p.PadLeft % 2 // the phase of x = 0
					interleave2(drow, row(b0), row(1-b0))
					continue
				}
				for b := range sw {
					x0, nx := phaseRange(b, p.PadLeft, sw, p.W)
					x := sw*x0 + b - p.PadLeft
					for _, v := range row(b)[:nx] {
						drow[x] = v
						x += sw
					}
				}
			}
		}
	}
}
