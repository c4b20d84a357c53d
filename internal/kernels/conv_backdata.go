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

// phaseTapsA is the group's weights for the taps of one phase as a left
// operand: rows are input channels c, reduction index r is taps[r] =
// k·KH·KW + i·KW + j, element w[k][c][i][j].
type phaseTapsA struct {
	w      []float32 // the group's first filter
	cg, kk int
	taps   []int
}

func (o phaseTapsA) packA(dst []float32, ic, mc, pc, kc, mr int) {
	for q := 0; q < mc; q += mr {
		panel := dst[q*kc : (q+mr)*kc]
		rows := min(mr, mc-q)
		if rows < mr {
			clear(panel)
		}
		for r := range rows {
			c := ic + q + r
			for p, t := range o.taps[pc : pc+kc] {
				k, ij := t/o.kk, t%o.kk
				panel[p*mr+r] = o.w[(k*o.cg+c)*o.kk+ij]
			}
		}
	}
}

// phaseBackwardData is Conv2DBackwardData by stride phases.
func phaseBackwardData(p ConvParams, dy, w, dx []float32) {
	g := newBackGeom(p, gemmKernel())
	sh, sw := p.StrideH, p.StrideW
	maxTaps := g.kg * g.kk
	tapsBuf, offsBuf := getIntBuf(sh*sw*maxTaps), getIntBuf(sh*sw*maxTaps)
	defer intPool.Put(tapsBuf)
	defer intPool.Put(offsBuf)
	counts := make([]int, sh*sw)
	for a := range sh {
		for b := range sw {
			ph := a*sw + b
			taps, offs := (*tapsBuf)[ph*maxTaps:ph*maxTaps], (*offsBuf)[ph*maxTaps:ph*maxTaps]
			for k := range g.kg {
				for i := range p.KH {
					for j := range p.KW {
						di, dj := i*p.DilationH, j*p.DilationW
						if di%sh != a || dj%sw != b {
							continue
						}
						taps = append(taps, k*g.kk+i*p.KW+j)
						offs = append(offs, k*g.hd*g.wd+(g.pp-di/sh)*g.wd+g.qq-dj/sw)
					}
				}
			}
			counts[ph] = len(taps)
		}
	}
	forTasks(p.N*p.Groups, p.flops(), func(t, _ int) {
		n, gi := t/p.Groups, t%p.Groups
		dxg := dx[(n*p.C+gi*g.cg)*p.H*p.W : (n*p.C+(gi+1)*g.cg)*p.H*p.W]
		clear(dxg)
		dyp := getBuf(g.dypLen)
		defer bufPool.Put(dyp)
		g.padDy(*dyp, dy[(n*p.K+gi*g.kg)*g.oh*g.ow:])
		wg := w[gi*g.kg*g.cg*g.kk:]
		for ph, cnt := range counts {
			if cnt == 0 {
				continue
			}
			a := phaseTapsA{w: wg, cg: g.cg, kk: g.kk, taps: (*tapsBuf)[ph*maxTaps : ph*maxTaps+cnt]}
			g.phase(ph/sw, ph%sw, a, (*offsBuf)[ph*maxTaps:ph*maxTaps+cnt], *dyp, dxg)
		}
	})
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

// phase computes the input positions of phase (a, b) of one image and group.
func (g backGeom) phase(a, b int, wa phaseTapsA, offs []int, dyp, dxg []float32) {
	p, kern := g.p, g.kern
	y0, ny := phaseRange(a, p.PadTop, p.StrideH, p.H)
	x0, nx := phaseRange(b, p.PadLeft, p.StrideW, p.W)
	if ny == 0 || nx == 0 {
		return
	}
	ncols := (ny*g.wd + kern.nr - 1) / kern.nr * kern.nr
	taps := len(offs)
	out := getBuf(g.mrows * ncols)
	abuf := getBuf(g.mrows * min(blockKC, taps))
	defer bufPool.Put(out)
	defer bufPool.Put(abuf)
	base := dyp[y0*g.wd:]
	for pc := 0; pc < taps; pc += blockKC {
		kc := min(blockKC, taps-pc)
		wa.packA(*abuf, 0, g.cg, pc, kc, kern.mr)
		for jr := 0; jr < ncols; jr += kern.nr {
			for ir := 0; ir < g.mrows; ir += kern.mr {
				kern.ind(kc, (*abuf)[ir*kc:], base[jr:], offs[pc:pc+kc], (*out)[ir*ncols+jr:], ncols, pc > 0)
			}
		}
	}
	for c := range g.cg {
		dc := dxg[c*p.H*p.W : (c+1)*p.H*p.W]
		for yq := range ny {
			y := p.StrideH*(y0+yq) + a - p.PadTop
			src := (*out)[c*ncols+yq*g.wd+x0 : c*ncols+yq*g.wd+x0+nx]
			drow := dc[y*p.W:]
			x := p.StrideW*x0 + b - p.PadLeft
			for _, v := range src {
				drow[x] = v
				x += p.StrideW
			}
		}
	}
}
