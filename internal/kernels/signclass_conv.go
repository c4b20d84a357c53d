package kernels

import "sync"

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
	ep.check("BinaryConv2D", p.YLen())
	if p.N == 0 {
		return
	}
	wq := (p.W + p.PadLeft + p.PadRight + p.StrideW - 1) / p.StrideW
	kern := classKernelFor().forColumns(p.OutH() * wq)
	tile := microKernel{mr: classRows, nr: kern.nr} // the output tiling only
	offsBuf := getIntBuf(p.C / p.Groups * p.KH * p.KW)
	defer intPool.Put(offsBuf)
	geo := newShiftGeom(p, &tile, *offsBuf)
	lists := sc.offsetsFor(geo)
	chunk := max(1, shiftChunkBytes/(4*(geo.mrows*geo.ncols+geo.xpLen)))
	if workers := gomaxprocs(); p.N >= workers {
		chunk = min(chunk, (p.N+workers-1)/workers)
	}
	chunks := (p.N + chunk - 1) / chunk
	forTasks(p.Groups*chunks, p.flops()/4, func(t, workers int) {
		g, c := t/chunks, t%chunks
		n0, n1 := c*chunk, min(p.N, (c+1)*chunk)
		r := classRun{geo: geo, sc: sc, kern: kern, lists: lists, gi: g, scale: scale, bias: bias, ep: ep}
		r.run(n0, n1, workers, x, y)
	})
}

// classRun is one group's share of BinaryConv2DClasses.
type classRun struct {
	geo         shiftGeom
	sc          *SignClasses
	kern        *classKernel
	lists       []int32
	gi          int
	scale, bias []float32
	ep          Epilogue
}

// run computes images [n0, n1) of the group, its quads split across
// workers goroutines.
func (r classRun) run(n0, n1, workers int, x, y []float32) {
	g, p := r.geo, r.geo.p
	imgs := n1 - n0
	xp := getBuf(imgs * g.xpLen)
	out := getBuf(imgs * g.mrows * g.ncols)
	defer bufPool.Put(xp)
	defer bufPool.Put(out)
	for i := range imgs {
		g.padImage((*xp)[i*g.xpLen:(i+1)*g.xpLen], x[((n0+i)*p.C+r.gi*g.cg)*p.H*p.W:])
	}
	quads := r.sc.quads
	workers = min(workers, quads)
	if workers <= 1 {
		r.quads(n0, n1, 0, quads, *xp, *out, y)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.quads(n0, n1, quads*w/workers, quads*(w+1)/workers, *xp, *out, y)
		}()
	}
	wg.Wait()
}

// quads computes quads [q0, q1) of run: per tap block, each column tile of
// each image is read once for all those quads, so it stays in cache.
func (r classRun) quads(n0, n1, q0, q1 int, xp, out, y []float32) {
	g, p, sc := r.geo, r.geo.p, r.sc
	outLen := g.mrows * g.ncols
	blocks := sc.blocks()
	for b := range blocks {
		base := b * classBlock
		for i := range n1 - n0 {
			xi, oi := xp[i*g.xpLen:(i+1)*g.xpLen], out[i*outLen:(i+1)*outLen]
			for jr := 0; jr < g.ncols; jr += g.nr {
				for q := q0; q < q1; q++ {
					gq := r.gi*sc.quads + q
					counts := sc.counts[(gq*blocks+b)*classLists:][:classLists]
					list := r.lists[gq*g.taps+base : gq*g.taps+min(g.taps, base+classBlock)]
					r.kern.fn(counts, list, xi[jr:], oi[q*classRows*g.ncols+jr:], g.ncols, b > 0)
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

// scaleAddRow is dst[i] = s·src[i] + b (a product, then a sum).
func scaleAddRow(dst, src []float32, s, b float32) {
	if scaleAddRowFast(dst, src, s, b) {
		return
	}
	for i := range dst {
		dst[i] = float32(s*src[i]) + b
	}
}
