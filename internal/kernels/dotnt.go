package kernels

// dotKernel is a tile of lane-wise dot products between mr rows of A and nq
// windows of B (see dotNTGo); the filter gradient of the indirect
// convolution runs on it.
type dotKernel struct {
	mr, nq, lanes int
	name          string
	fn            func(steps, nimg int, a []float32, lda, astride int, b []float32, bstride int, offs []int, partial []float32)
}

// dotNTGo is the portable lane-wise dot-product tile and the definition of
// the assembly ones:
//
//	for r < mr, x < nq, l < lanes:
//		s := partial[(r·nq+x)·lanes+l]
//		for n < nimg, i < steps: s += a[n·astride+r·lda+lanes·i+l]·b[n·bstride+offs[x]+lanes·i+l]
//		partial[(r·nq+x)·lanes+l] = s
func dotNTGo(mr, nq, lanes, steps, nimg int, a []float32, lda, astride int, b []float32, bstride int, offs []int, partial []float32) {
	m := steps * lanes
	for r := range mr {
		for x, off := range offs[:nq] {
			s := partial[(r*nq+x)*lanes : (r*nq+x+1)*lanes]
			for n := range nimg {
				ar := a[n*astride+r*lda:][:m]
				bx := b[n*bstride+off:][:m]
				for i := 0; i < m; i += lanes {
					for l := range s {
						s[l] += ar[i+l] * bx[i+l]
					}
				}
			}
		}
	}
}

var goDotKernel = dotKernel{mr: 4, nq: 4, lanes: 8, name: "go-dot-4x4",
	fn: func(steps, nimg int, a []float32, lda, astride int, b []float32, bstride int, offs []int, partial []float32) {
		dotNTGo(4, 4, 8, steps, nimg, a, lda, astride, b, bstride, offs, partial)
	}}

// shiftBackwardFilter is Conv2DBackwardFilter without im2col: with the
// images padded and split into phases (xp) and dy laid out wide (dy′, zero
// in the discarded columns), dW[k][(c,i,j)] = Σ_n Σ_t dy′_n[k][t]·xp_n[offs(c,i,j)+t].
// Each (k, tap) pair keeps lane sums over the whole batch, in image order,
// that are added up lane by lane at the end; goroutines split the (k, tap)
// tiles only, so the result is the same at any GOMAXPROCS. Images come
// from src and are laid out a few L2-sized blocks at a time, so scratch
// does not grow with the batch; each tile still sums the blocks in order.
// shiftFilterSizes are the blocking of shiftBackwardFilter: dy′ rows of
// tpad floats (the output's padded rows, a multiple of the lanes), mrows
// output channels and nqPad taps padded to the tile, imgBlock images per
// sweep of the tiles and super images laid out at once.
type shiftFilterSizes struct{ tpad, mrows, nqPad, imgBlock, super int }

func shiftFilterSizesOf(p ConvParams, dk *dotKernel, geo shiftGeom) shiftFilterSizes {
	wide := geo.oh * geo.wq
	z := shiftFilterSizes{
		tpad:  (wide + dk.lanes - 1) / dk.lanes * dk.lanes,
		mrows: (geo.kg + dk.mr - 1) / dk.mr * dk.mr,
		nqPad: (geo.taps + dk.nq - 1) / dk.nq * dk.nq,
	}
	// Images per sweep of the tiles: their padded images and dy′ stay in
	// L2; shiftFilterBlocks sweeps are laid out at once.
	z.imgBlock = max(1, (1<<20)/(4*(geo.xpLen+z.mrows*z.tpad)))
	z.super = min(p.N, z.imgBlock*shiftFilterBlocks)
	return z
}

// scratch is the bytes shiftBackwardFilter takes from the pools for a
// layer of geo: the laid-out images and dy′ rows, and the lane sums of
// every tile.
func (z shiftFilterSizes) scratch(geo shiftGeom, dk *dotKernel) int64 {
	return 4 * (int64(z.super)*int64(geo.xpLen+z.mrows*z.tpad) + int64(z.mrows)*int64(z.nqPad)*int64(dk.lanes))
}

func shiftBackwardFilter(p ConvParams, src imageSource, dy, dw []float32) {
	dk := dotKernelFor()
	offsBuf := getIntBuf(p.C / p.Groups * p.KH * p.KW)
	defer intPool.Put(offsBuf)
	geo := newShiftGeom(p, gemmKernel(), *offsBuf)
	sz := shiftFilterSizesOf(p, dk, geo)
	tpad, mrows, nqPad, imgBlock, super := sz.tpad, sz.mrows, sz.nqPad, sz.imgBlock, sz.super
	qoffs := getIntBuf(nqPad)
	xp := getBuf(super * geo.xpLen)
	dyw := getBuf(super * mrows * tpad)
	partial := getBuf(mrows * nqPad * dk.lanes)
	defer intPool.Put(qoffs)
	defer bufPool.Put(xp)
	defer bufPool.Put(dyw)
	defer bufPool.Put(partial)
	clear(*qoffs)
	copy(*qoffs, geo.offs)
	checkWindows("backward-filter", *qoffs, tpad, geo.xpLen)
	rowTiles, qTiles := mrows/dk.mr, nqPad/dk.nq
	tiles := rowTiles * qTiles
	tileLen := dk.mr * dk.nq * dk.lanes
	for g := range p.Groups {
		clear(*partial)
		for s0 := 0; s0 < p.N; s0 += super {
			ns := min(super, p.N-s0)
			forTasks(ns, p.flops()*float64(ns)/float64(p.N), func(i, _ int) {
				n := s0 + i
				img := getBuf(src.scratch)
				defer bufPool.Put(img)
				geo.padImage((*xp)[i*geo.xpLen:(i+1)*geo.xpLen], src.at(n, g, *img))
				geo.wideRows((*dyw)[i*mrows*tpad:(i+1)*mrows*tpad], tpad, dy[(n*p.K+g*geo.kg)*geo.oh*geo.ow:])
			})
			chunks := min(tiles, gomaxprocs())
			forTasks(chunks, p.flops()/float64(p.Groups)*float64(ns)/float64(p.N), func(c, _ int) {
				lo, hi := tiles*c/chunks, tiles*(c+1)/chunks
				// One row panel at a time, so that its lane sums stay in L2 and
				// its rows of dy′ in L1 while the image block sweeps its taps.
				for rlo := lo; rlo < hi; rlo = (rlo/qTiles + 1) * qTiles {
					rhi := min(hi, (rlo/qTiles+1)*qTiles)
					ir := rlo / qTiles * dk.mr
					for n0 := 0; n0 < ns; n0 += imgBlock {
						nimg := min(imgBlock, ns-n0)
						xn := (*xp)[n0*geo.xpLen:]
						dn := (*dyw)[(n0*mrows+ir)*tpad:]
						for t := rlo; t < rhi; t++ {
							jq := t % qTiles * dk.nq
							dk.fn(tpad/dk.lanes, nimg, dn, tpad, mrows*tpad, xn, geo.xpLen,
								(*qoffs)[jq:jq+dk.nq], (*partial)[t*tileLen:(t+1)*tileLen])
						}
					}
				}
			})
		}
		dwg := dw[g*geo.kg*geo.taps : (g+1)*geo.kg*geo.taps]
		for k := range geo.kg {
			for q := range geo.taps {
				t := k/dk.mr*qTiles + q/dk.nq
				lanes := (*partial)[t*tileLen+((k%dk.mr)*dk.nq+q%dk.nq)*dk.lanes:][:dk.lanes]
				var s float32
				for _, v := range lanes {
					s += v
				}
				dwg[k*geo.taps+q] = s
			}
		}
	}
}

// shiftFilterBlocks is how many L2-sized blocks of images
// shiftBackwardFilter lays out at once (a variable for the tests).
var shiftFilterBlocks = 4

// wideRows lays one image's group of dy [Kg][OH][OW] out as rows of tpad
// floats, each output row Wq wide, zero in the discarded columns, the tail
// and the rows past Kg.
func (g shiftGeom) wideRows(dst []float32, tpad int, dy []float32) {
	for k := range g.kg {
		row := dst[k*tpad : (k+1)*tpad]
		copyRows(row, g.wq, dy[k*g.oh*g.ow:], g.ow, g.oh, g.ow, g.wq-g.ow)
		if g.oh == 0 {
			clear(row)
		} else {
			clear(row[(g.oh-1)*g.wq+g.ow:]) // the last row's gap on
		}
	}
	clear(dst[g.kg*tpad:])
}
