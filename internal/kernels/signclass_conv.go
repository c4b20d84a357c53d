package kernels

import "unsafe"

// BinaryConv2DClasses is BinaryConv2DEpilogue with the signs sorted by
// NewSignClasses for a convolution of the same shape: the same result up
// to float rounding (the sums run in another order), computed with about a
// quarter of the additions (signclass.go).
func BinaryConv2DClasses(p ConvParams, x []float32, sc *SignClasses, scale, bias, y []float32, ep Epilogue) {
	p.mustCheck("BinaryConv2D", namedLen{"x", len(x), p.XLen()}, namedLen{"y", len(y), p.YLen()},
		namedLen{"scale", len(scale), p.K})
	if bias != nil && len(bias) < p.K {
		panic("kernels: BinaryConv2D: bias shorter than K")
	}
	if sc.shape != (classShape{p.K, p.C / p.Groups, p.KH, p.KW, p.Groups}) {
		panic("kernels: BinaryConv2D: sign classes made for another convolution shape")
	}
	ep.check("BinaryConv2D", p.YLen(), -1)
	if p.N == 0 {
		return
	}
	taps := p.C / p.Groups * p.KH * p.KW
	offs, shifted := getIntBuf(taps), getIntBuf(taps)
	defer intPool.Put(offs)
	defer intPool.Put(shifted)
	lay := newClassLayout(p, *offs, *shifted)
	lists := sc.offsetsFor(lay)
	geo := lay.geo
	chunk := max(1, shiftChunkBytes/(4*(geo.mrows*geo.ncols+lay.copies*lay.copyLen)))
	if workers := gomaxprocs(); p.N >= workers {
		chunk = min(chunk, (p.N+workers-1)/workers)
	}
	chunks := (p.N + chunk - 1) / chunk
	forTasks(p.Groups*chunks, p.flops()/4, func(t, workers int) {
		g, c := t/chunks, t%chunks
		n0, n1 := c*chunk, min(p.N, (c+1)*chunk)
		r := classRun{lay: lay, sc: sc, lists: lists, gi: g, scale: scale, bias: bias, ep: ep}
		r.run(n0, n1, workers, x, y)
	})
}

// classLayout is where the sign-class kernel reads a convolution's input:
// the phase images of conv_shift.go, and, when the rows can be made a
// multiple of 16 columns wide at little cost, copies of them shifted left
// by each column offset a tap adds (0, 1, 2 for a 3×3 kernel at stride
// 1). Then every window starts on a 64-byte boundary, and the kernel's
// loads never straddle two cache lines (an unaligned zmm load costs two).
type classLayout struct {
	geo     shiftGeom
	kern    *classKernel
	copies  int   // 1, or one per column shift
	copyLen int   // floats per copy, a multiple of 16
	tapOffs []int // per tap, where its window starts
}

// newClassLayout lays p out in scratch: offs and shifted hold a tap
// offset each (C/G·KH·KW) and must outlive the layout.
func newClassLayout(p ConvParams, offs, shifted []int) classLayout {
	wq := (p.W + p.PadLeft + p.PadRight + p.StrideW - 1) / p.StrideW
	kern := classKernelFor()
	lay := classLayout{copies: 1}
	// Measured on ResNet-18 shapes: the copies pay where the rows widen by
	// at most 1/8 and all copies of one image stay well inside L2; for
	// larger or strided inputs, writing them costs more than they save.
	wide := (wq + 15) / 16 * 16
	copies := (p.KW-1)*p.DilationW/p.StrideW + 1
	if bytes := 4 * copies * p.C / p.Groups * wide * (p.H + p.PadTop + p.PadBottom); wide*8 <= wq*9 && p.StrideW == 1 && bytes <= 3<<19 {
		wq, lay.copies = wide, copies
	}
	lay.kern = kern.forColumns(p.OutH() * wq)
	tile := microKernel{mr: classRows, nr: lay.kern.nr} // the output tiling only
	lay.geo = newShiftGeomWide(p, &tile, offs, wq)
	lay.copyLen = (lay.geo.xpLen + 15) / 16 * 16
	lay.tapOffs = lay.geo.offs
	if lay.copies > 1 {
		lay.tapOffs = shifted[:len(lay.geo.offs)]
		for t, off := range lay.geo.offs {
			shift := t % p.KW * p.DilationW / p.StrideW
			lay.tapOffs[t] = shift*lay.copyLen + off - shift
		}
	}
	checkWindows("sign-class", lay.tapOffs, lay.geo.ncols, lay.copies*lay.copyLen)
	return lay
}

// fill writes one image's group channels into buf (copies·copyLen floats):
// the padded phase images, then each shifted copy.
func (lay classLayout) fill(buf, x []float32) {
	base := buf[:lay.copyLen]
	lay.geo.padImage(base[:lay.geo.xpLen], x)
	clear(base[lay.geo.xpLen:])
	for s := 1; s < lay.copies; s++ {
		dst := buf[s*lay.copyLen : (s+1)*lay.copyLen]
		copy(dst, base[s:])
		clear(dst[lay.copyLen-s:])
	}
}

// aligned64 returns n floats of buf starting on a 64-byte boundary; buf
// must hold n+15.
func aligned64(buf []float32, n int) []float32 {
	skip := int(-uintptr(unsafe.Pointer(unsafe.SliceData(buf))) / 4 % 16)
	return buf[skip : skip+n]
}

// classRun is one group's share of BinaryConv2DClasses.
type classRun struct {
	lay         classLayout
	sc          *SignClasses
	lists       []int32
	gi          int
	scale, bias []float32
	ep          Epilogue
}

// run computes images [n0, n1) of the group, its quads split across
// workers goroutines.
func (r classRun) run(n0, n1, workers int, x, y []float32) {
	g, p := r.lay.geo, r.lay.geo.p
	imgs := n1 - n0
	per := r.lay.copies * r.lay.copyLen
	xbuf := getBuf(imgs*per + 15)
	out := getBuf(imgs * g.mrows * g.ncols)
	defer bufPool.Put(xbuf)
	defer bufPool.Put(out)
	xp := aligned64(*xbuf, imgs*per)
	for i := range imgs {
		r.lay.fill(xp[i*per:(i+1)*per], x[((n0+i)*p.C+r.gi*g.cg)*p.H*p.W:])
	}
	splitRange(r.sc.quads, workers, func(q0, q1 int) { r.quads(n0, n1, q0, q1, xp, *out, y) })
}

// quads computes quads [q0, q1) of run: per tap block, each column tile of
// each image is read once for all those quads, so it stays in cache.
func (r classRun) quads(n0, n1, q0, q1 int, xp, out, y []float32) {
	g, p, sc := r.lay.geo, r.lay.geo.p, r.sc
	outLen := g.mrows * g.ncols
	per := r.lay.copies * r.lay.copyLen
	blocks := sc.blocks()
	for b := range blocks {
		base := b * classBlock
		for i := range n1 - n0 {
			xi, oi := xp[i*per:(i+1)*per], out[i*outLen:(i+1)*outLen]
			for jr := 0; jr < g.ncols; jr += g.nr {
				for q := q0; q < q1; q++ {
					gq := r.gi*sc.quads + q
					counts := sc.counts[(gq*blocks+b)*classLists:][:classLists]
					list := r.lists[gq*g.taps+base : gq*g.taps+min(g.taps, base+classBlock)]
					r.lay.kern.fn(counts, list, xi[jr:], oi[q*classRows*g.ncols+jr:], g.ncols, b > 0)
				}
			}
		}
	}
	k1 := min(g.kg, q1*classRows)
	for i := range n1 - n0 {
		obase := ((n0+i)*p.K + r.gi*g.kg) * g.oh * g.ow
		for k := q0 * classRows; k < k1; k++ {
			kk := r.gi*g.kg + k
			var bias float32
			if r.bias != nil {
				bias = r.bias[kk]
			}
			src := out[i*outLen+k*g.ncols:]
			for row := range g.oh {
				off := obase + (k*g.oh+row)*g.ow
				scaleAddRow(y[off:off+g.ow], src[row*g.wq:], r.scale[kk], bias)
				if !r.ep.none() {
					r.ep.apply(y[off:off+g.ow], off)
				}
			}
		}
	}
}
