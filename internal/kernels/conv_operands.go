package kernels

// convGeom is one image and one group of a convolution, seen as the GEMM
// operand col[p][s] (im2col without the buffer): p = (c, i, j) runs over the
// group's Cg·KH·KW taps and s = (oh, ow) over the output positions, and
// col[p][s] = x[c][oh·sH − padT + i·dH][ow·sW − padL + j·dW], 0 outside.
type convGeom struct {
	p      ConvParams
	x      []float32 // the group's first channel of the image
	oh, ow int
}

func newConvGeom(p ConvParams, x []float32) convGeom {
	return convGeom{p: p, x: x, oh: p.OutH(), ow: p.OutW()}
}

// im2colB is col as a right operand (reduction p, columns s).
type im2colB struct{ convGeom }

func (o im2colB) packB(dst []float32, pc, kc, jc, nc, nr int) {
	for q := 0; q < nc; q += nr {
		panel := dst[q*kc : (q+nr)*kc]
		cols := min(nr, nc-q)
		for p := range kc {
			row := panel[p*nr : p*nr+nr]
			o.fillRow(row[:cols], pc+p, jc+q)
			clear(row[cols:])
		}
	}
}

// fillRow writes col[p][s0 : s0+len(dst)] into dst, one run of equal oh at
// a time.
func (o convGeom) fillRow(dst []float32, p, s0 int) {
	pp := o.p
	j := p % pp.KW
	i := p / pp.KW % pp.KH
	c := p / (pp.KW * pp.KH)
	xc := o.x[c*pp.H*pp.W : (c+1)*pp.H*pp.W]
	for len(dst) > 0 {
		oh, ow := s0/o.ow, s0%o.ow
		run := min(len(dst), o.ow-ow)
		seg := dst[:run]
		ih := oh*pp.StrideH - pp.PadTop + i*pp.DilationH
		if ih < 0 || ih >= pp.H {
			clear(seg)
		} else {
			gatherRow(seg, xc[ih*pp.W:(ih+1)*pp.W], ow*pp.StrideW-pp.PadLeft+j*pp.DilationW, pp.StrideW)
		}
		dst, s0 = dst[run:], s0+run
	}
}

// gatherRow sets seg[t] = xrow[iw0 + t·stride], 0 where that is outside xrow.
func gatherRow(seg, xrow []float32, iw0, stride int) {
	w := len(xrow)
	// first t with iw ≥ 0, first t with iw ≥ w
	lo := 0
	if iw0 < 0 {
		lo = min((-iw0+stride-1)/stride, len(seg))
	}
	hi := len(seg)
	if last := iw0 + (hi-1)*stride; last >= w {
		hi = max(lo, (w-iw0+stride-1)/stride)
	}
	clear(seg[:lo])
	clear(seg[hi:])
	if hi <= lo {
		return
	}
	if stride == 1 {
		copy(seg[lo:hi], xrow[iw0+lo:])
		return
	}
	for t := lo; t < hi; t++ {
		seg[t] = xrow[iw0+t*stride]
	}
}

// col2imAdd adds col (Cg·KH·KW × OH·OW, row-major) into the image's group
// channels, in a fixed order: dx[c][ih][iw] += col[p][s].
func (o convGeom) col2imAdd(dx, col []float32) {
	pp := o.p
	hw := o.oh * o.ow
	for p := range pp.C / pp.Groups * pp.KH * pp.KW {
		j := p % pp.KW
		i := p / pp.KW % pp.KH
		c := p / (pp.KW * pp.KH)
		dc := dx[c*pp.H*pp.W : (c+1)*pp.H*pp.W]
		src := col[p*hw : (p+1)*hw]
		for oh := range o.oh {
			ih := oh*pp.StrideH - pp.PadTop + i*pp.DilationH
			if ih < 0 || ih >= pp.H {
				continue
			}
			drow := dc[ih*pp.W : (ih+1)*pp.W]
			srow := src[oh*o.ow : (oh+1)*o.ow]
			for ow, v := range srow {
				if iw := ow*pp.StrideW - pp.PadLeft + j*pp.DilationW; iw >= 0 && iw < pp.W {
					drow[iw] += v
				}
			}
		}
	}
}

// batchDyA is one group's output gradient over the whole batch as a left
// operand: rows k < K/G, reduction t = n·OH·OW + s, element dy[n][g·Kg+k][s].
type batchDyA struct {
	dy     []float32 // starts at the group's first channel of image 0
	kTotal int       // K, the channel stride between images
	hw     int
}

func (o batchDyA) packA(dst []float32, ic, mc, pc, kc, mr int) {
	for q := 0; q < mc; q += mr {
		panel := dst[q*kc : (q+mr)*kc]
		rows := min(mr, mc-q)
		if rows < mr {
			clear(panel)
		}
		for r := range rows {
			k := ic + q + r
			for p := 0; p < kc; {
				t := pc + p
				n, s := t/o.hw, t%o.hw
				run := min(kc-p, o.hw-s)
				src := o.dy[(n*o.kTotal+k)*o.hw+s:]
				for x := range run {
					panel[(p+x)*mr+r] = src[x]
				}
				p += run
			}
		}
	}
}

// batchColTB is colᵀ of one group over the whole batch as a right operand:
// reduction t = n·OH·OW + s, columns p = (c, i, j), element col_n[p][s].
type batchColTB struct {
	p      ConvParams
	x      []float32 // starts at the group's first channel of image 0
	oh, ow int
}

func (o batchColTB) packB(dst []float32, pc, kc, jc, nc, nr int) {
	hw := o.oh * o.ow
	img := o.p.C * o.p.H * o.p.W
	var tmp [blockKC]float32
	for q := 0; q < nc; q += nr {
		panel := dst[q*kc : (q+nr)*kc]
		cols := min(nr, nc-q)
		if cols < nr {
			clear(panel)
		}
		for x := range cols {
			// Column jc+q+x of colᵀ is row jc+q+x of col: gather it per image run.
			for p := 0; p < kc; {
				t := pc + p
				n, s := t/hw, t%hw
				run := min(kc-p, hw-s)
				g := convGeom{p: o.p, x: o.x[n*img:], oh: o.oh, ow: o.ow}
				seg := tmp[:run]
				g.fillRow(seg, jc+q+x, s)
				for y, v := range seg {
					panel[(p+y)*nr+x] = v
				}
				p += run
			}
		}
	}
}
