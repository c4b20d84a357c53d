package kernels

//go:generate go run ./internal/filtergen

// The filter gradient with output channels in the vector lanes. The tiles
// of shiftBackwardFilter put pixels in the lanes: each multiply-add then
// needs a fresh vector of both operands, and a tile's ten streams come from
// L2 faster than it can take them. Here dy is transposed, per image, to
// [pixel][output channel], so one vector of dy (16 output channels at a
// pixel) meets a broadcast of one input pixel per input channel: a block of
// cb input channels by nv·16 output channels reads cb floats and nv vectors
// a pixel for cb·nv multiply-adds, from two streams per channel block.
//
// Images are taken in chunks sized to stay in L2 while every tap and
// channel block sweeps them; each chunk is padded and transposed by the
// goroutine that sums it, into its own partial sums, and the chunks' sums
// are added in chunk order. Chunk boundaries depend on the shapes only, so
// the result is the same at any GOMAXPROCS.

// filterTileGo is the portable filter-gradient tile, and the definition of
// the assembly ones:
//
//	for c < cb, j < nv, l < 16:
//		acc[c·astride+16j+l] += Σ_{n<nimg} Σ_{p<steps} x[n·ximg+c·plane+p]·dy[n·dimg+p·dstep+16j+l]
func filterTileGo(cb, nv, steps, nimg int, x []float32, plane, ximg int, dy []float32, dstep, dimg int, acc []float32, astride int) {
	for c := range cb {
		for j := range nv {
			s := acc[c*astride+16*j:][:16]
			for n := range nimg {
				xs := x[n*ximg+c*plane:][:steps]
				for p, v := range xs {
					d := dy[n*dimg+p*dstep+16*j:][:16]
					for l := range s {
						s[l] += v * d[l]
					}
				}
			}
		}
	}
}

// transpose16Go is the portable 16-row transpose, and the definition of
// the assembly one: dst[j·dstride+i] = src[i·sstride+j] for i < 16, j < n.
func transpose16Go(dst []float32, dstride int, src []float32, sstride, n int) {
	for i := range 16 {
		for j, v := range src[i*sstride:][:n] {
			dst[j*dstride+i] = v
		}
	}
}

// filterKernels is a set of filter-gradient tiles: tile(cb, nv) for
// 1 ≤ nv ≤ 4 and 1 ≤ cb ≤ maxCb[nv] (0: no tiles of nv vectors), and the
// transpose that feeds them.
type filterKernels struct {
	name      string
	tile      func(cb, nv, steps, nimg int, x []float32, plane, ximg int, dy []float32, dstep, dimg int, acc []float32, astride int)
	transpose func(dst []float32, dstride int, src []float32, sstride, n int)
	maxCb     [5]int
}

// maxNv is the widest block of output-channel vectors fk has tiles for.
func (fk *filterKernels) maxNv() int {
	nv := 1
	for fk.maxCb[nv+1] > 0 {
		nv++
		if nv == 4 {
			break
		}
	}
	return nv
}

// tileBlocks cuts kv vectors of output channels and cg input channels
// into fk's tile blocks.
func (fk *filterKernels) tileBlocks(kv, cg int) []struct{ c, k block } {
	var blocks []struct{ c, k block }
	for _, k := range splitBlocks(kv, fk.maxNv()) {
		for _, c := range splitBlocks(cg, fk.maxCb[k.n]) {
			blocks = append(blocks, struct{ c, k block }{c, k})
		}
	}
	return blocks
}

// filterMaxCb is the widest block of input channels per nv vectors of
// output channels (internal/filtergen generates the tiles up to it): its
// sums fill at most 24 of the 32 vector registers.
var filterMaxCb = [5]int{1: 16, 2: 12, 3: 8, 4: 6}

var goFilterKernels = filterKernels{name: "go-filter", tile: filterTileGo, transpose: transpose16Go, maxCb: filterMaxCb}

// filterChunkBytes is the most a chunk of padded images and transposed dy
// should take: half this machine's L2, so that both stay while the tiles
// sweep them.
const filterChunkBytes = 1 << 20

// laneFilterKernels is the tile set channelBackwardFilter runs p with, or
// nil where another filter gradient serves: without the assembly tiles, with
// too few output channels per group, or for a strided 1×1 (the pointwise
// one on the subsampled input).
func (p ConvParams) laneFilterKernels() *filterKernels {
	if _, strided := p.strided1x1(); strided || !p.useLaneFilter() {
		return nil
	}
	return filterKernelsFor()
}

// useLaneFilter reports whether the output channels of each group fill
// their vectors well enough (at least ¾) for channelBackwardFilter.
func (p ConvParams) useLaneFilter() bool {
	kg := p.K / p.Groups
	return 4*kg >= 3*((kg+15)/16*16)
}

// block is a run of n channels (or channel vectors) from start.
type block struct{ start, n int }

// splitBlocks cuts [0, total) into the fewest blocks of at most most,
// as even in size as they can be.
func splitBlocks(total, most int) []block {
	count := (total + most - 1) / most
	bs := make([]block, count)
	for i := range bs {
		lo, hi := total*i/count, total*(i+1)/count
		bs[i] = block{lo, hi - lo}
	}
	return bs
}

// imageSource gives the channels of group g of image n ([Cg][H][W]); at
// may write them into scratch (scratch floats, the caller's, 0 if unused)
// and return part of it.
type imageSource struct {
	scratch int
	at      func(n, g int, scratch []float32) []float32
}

// channelBackwardFilter is Conv2DBackwardFilter with output channels in the
// vector lanes (see the top of this file).
func channelBackwardFilter(p ConvParams, x, dy, dw []float32, fk *filterKernels) {
	laneBackwardFilter(p, xSource(p, x), dy, dw, fk)
}

// xSource serves the images of x [N, C, H, W] where they lie.
func xSource(p ConvParams, x []float32) imageSource {
	cg := p.C / p.Groups
	return imageSource{at: func(n, g int, _ []float32) []float32 {
		return x[(n*p.C+g*cg)*p.H*p.W:]
	}}
}

// laneBackwardFilter is channelBackwardFilter with x from src.
func laneBackwardFilter(p ConvParams, src imageSource, dy, dw []float32, fk *filterKernels) {
	offsBuf := getIntBuf(p.C / p.Groups * p.KH * p.KW)
	defer intPool.Put(offsBuf)
	geo := newShiftGeom(p, gemmKernel(), *offsBuf)
	spatial, plane := p.KH*p.KW, geo.hq*geo.wq
	steps := geo.oh * geo.wq
	kpad := (geo.kg + 15) / 16 * 16
	xs, ds := geo.xpLen, steps*kpad
	blocks := fk.tileBlocks(kpad/16, geo.cg)
	// Chunks: as many as L2 asks for, rounded up to a multiple of 4 so that
	// 2 or 4 goroutines get equal shares. They run in waves of filterWave,
	// each chunk into its own partial sums, and the partials are added in
	// chunk order as each wave ends: the same sums in the same order as
	// one partial per chunk, in scratch that does not grow with the batch.
	chunks := filterChunks(p.N, xs+ds)
	wave := min(chunks, filterWave*gomaxprocs())
	plen := spatial * geo.cg * kpad
	partial := getBuf((wave + 1) * plen)
	defer bufPool.Put(partial)
	sums := (*partial)[wave*plen : (wave+1)*plen]
	for g := range p.Groups {
		for w0 := 0; w0 < chunks; w0 += wave {
			n := min(wave, chunks-w0)
			forTasks(n, p.flops()/float64(p.Groups)*float64(n)/float64(chunks), func(i, _ int) {
				part := (*partial)[i*plen : (i+1)*plen]
				clear(part)
				n0, n1 := p.N*(w0+i)/chunks, p.N*(w0+i+1)/chunks
				nimg := n1 - n0
				if nimg == 0 {
					return
				}
				scratch := getBuf(nimg*(xs+ds) + src.scratch)
				defer bufPool.Put(scratch)
				xp, dyT, img := (*scratch)[:nimg*xs], (*scratch)[nimg*xs:nimg*(xs+ds)], (*scratch)[nimg*(xs+ds):]
				for j := range nimg {
					n := n0 + j
					geo.padImage(xp[j*xs:(j+1)*xs], src.at(n, g, img))
					geo.transposeDy(dyT[j*ds:(j+1)*ds], kpad, dy[(n*p.K+g*geo.kg)*geo.oh*geo.ow:], fk)
				}
				for t := range spatial {
					for _, b := range blocks {
						fk.tile(b.c.n, b.k.n, steps, nimg, xp[geo.offs[t]+b.c.start*plane:], plane, xs,
							dyT[16*b.k.start:], kpad, ds, part[(t*geo.cg+b.c.start)*kpad+16*b.k.start:], kpad)
					}
				}
			})
			for i := range n {
				if w0+i == 0 {
					copy(sums, (*partial)[:plen])
				} else {
					AddInto(sums, (*partial)[i*plen:(i+1)*plen])
				}
			}
		}
		dwg := dw[g*geo.kg*geo.taps : (g+1)*geo.kg*geo.taps]
		for t := range spatial {
			for c := range geo.cg {
				for k, v := range sums[(t*geo.cg+c)*kpad:][:geo.kg] {
					dwg[(k*geo.cg+c)*spatial+t] = v
				}
			}
		}
	}
}

// filterChunks is how many chunks laneBackwardFilter splits n images of
// perImage floats of scratch (padded image and transposed gradient) into.
func filterChunks(n, perImage int) int {
	chunks := (n*4*perImage + filterChunkBytes - 1) / filterChunkBytes
	return max(1, min(n, (chunks+3)/4*4))
}

// filterWave is how many chunks of images laneBackwardFilter sums at once
// per goroutine (a variable for the tests): the partial sums' scratch is
// filterWave·GOMAXPROCS + 1 filter gradients, which for a 512-channel 3×3
// layer are 9 MiB each.
var filterWave = 1

// transposeDy lays one image's group of dy [Kg][OH][OW] out as dst
// [OH·Wq][kpad]: pixel (r, w) of the wide output at row r·Wq+w, zero in the
// discarded columns and in the channels past Kg.
func (g shiftGeom) transposeDy(dst []float32, kpad int, dy []float32, fk *filterKernels) {
	ohw := g.oh * g.ow
	for r := range g.oh {
		row := dst[r*g.wq*kpad : (r+1)*g.wq*kpad]
		for k0 := 0; k0 < kpad; k0 += 16 {
			if k0+16 > g.kg {
				g.transposeEdge(row, kpad, k0, dy[r*g.ow:])
				continue
			}
			for w0 := 0; w0 < g.ow; w0 += 16 {
				fk.transpose(row[w0*kpad+k0:], kpad, dy[k0*ohw+r*g.ow+w0:], ohw, min(16, g.ow-w0))
			}
		}
		clear(row[g.ow*kpad:])
	}
}

// transposeEdge is transposeDy's last block of channels k0..k0+15 when Kg
// ends inside it: the channels past Kg are zero.
func (g shiftGeom) transposeEdge(row []float32, kpad, k0 int, dy []float32) {
	ohw := g.oh * g.ow
	for w := range g.ow {
		for k := k0; k < k0+16; k++ {
			var v float32
			if k < g.kg {
				v = dy[k*ohw+w]
			}
			row[w*kpad+k] = v
		}
	}
}

// laneBackwardFilterFrom runs the lane filter gradient of p with images
// from src, and reports whether it could. A strided 1×1 runs as the
// pointwise filter gradient on the subsampled images, each image
// subsampled into the chunk's scratch as it is read: scratch follows the
// chunk, not the batch.
func laneBackwardFilterFrom(p ConvParams, src imageSource, dy, dw []float32) bool {
	q, strided := p.strided1x1()
	if !strided {
		fk := p.laneFilterKernels()
		if fk != nil {
			laneBackwardFilter(p, src, dy, dw, fk)
		}
		return fk != nil
	}
	fk := q.laneFilterKernels()
	if fk != nil {
		laneBackwardFilter(q, subsampled(p, q, src), dy, dw, fk)
	}
	return fk != nil
}

// subsampled serves the images of src, for the strided 1×1 p, subsampled
// to those of its pointwise form q, each into the caller's scratch.
func subsampled(p, q ConvParams, src imageSource) imageSource {
	cg := p.C / p.Groups
	sub := cg * q.H * q.W
	return imageSource{scratch: sub + src.scratch, at: func(n, g int, scratch []float32) []float32 {
		p.subsample(scratch[:sub], src.at(n, g, scratch[sub:]), cg)
		return scratch[:sub]
	}}
}

// FilterScratch is the scratch (bytes) a training step's passes of a
// convolution of p's shape, at p's batch and spatial size, hold at once:
// the filter gradient's partial sums (one filter gradient per chunk of
// images a wave runs, and their sum) and the input gradient's flipped
// weights or, for a layer that runs by Winograd
// at that batch and size, winoScratch when that is larger; the chunks of
// images around them, a few MiB a goroutine, are the caller's allowance.
// It follows the layer's real size: a 2×2 or 4×4 layer (a 64×64 ResNet's
// last stages) has too few tiles for Winograd at a small batch and too few
// images for a wave, and the bound over every batch and size (the 16 MiB
// Winograd chunk) put a ResNet-18's plan 12 % over its measured peak. With
// N, H or W 0 (shape not known) it is that bound.
func FilterScratch(p ConvParams) int64 {
	if q, ok := p.strided1x1(); ok {
		p = q // runs as the pointwise gradient of the subsampled images
	}
	var partials int64
	if p.laneFilterKernels() == nil {
		// The lanes do not serve it (too few output channels, or no
		// assembly): shiftBackwardFilter's tiles of lane sums, whose size
		// the batch and image size do not change, beside the images it
		// lays out (about a MiB a sweep when the shape is not known).
		dk := dotKernelFor()
		offs := make([]int, (p.C/max(p.Groups, 1))*p.KH*p.KW)
		geo := newShiftGeom(p, gemmKernel(), offs)
		z := shiftFilterSizesOf(p, dk, geo)
		if !known(p) {
			z.super, geo.xpLen, z.tpad = 0, 0, 0
			partials = int64(shiftFilterBlocks) << 20
		}
		partials += z.scratch(geo, dk)
	} else {
		g := max(p.Groups, 1)
		kpad := (p.K/g + 15) / 16 * 16
		plen := p.KH * p.KW * (p.C / g) * kpad
		wave := filterWave * gomaxprocs()
		if known(p) {
			offs := make([]int, (p.C/g)*p.KH*p.KW)
			geo := newShiftGeom(p, gemmKernel(), offs)
			wave = min(wave, filterChunks(p.N, geo.xpLen+geo.oh*geo.wq*kpad))
		}
		partials = 4 * int64(plen) * int64(wave+1)
	}
	// The input gradient's flipped weights (a stride-1 layer's) are
	// another pass's, but the pools keep them beside the partial sums.
	return max(partials+4*int64(p.WLen()), winoScratch(p))
}

// known reports whether p has its batch and spatial size.
func known(p ConvParams) bool { return p.N > 0 && p.H > 0 && p.W > 0 }
