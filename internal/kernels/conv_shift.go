package kernels

import (
	"fmt"
	"math"
)

// Indirect ("shifted window") convolution. With the image zero-padded to
// Hp×Wp and split into its sH·sW stride phases (phase (a, b) holds the
// padded pixels (sH·y+a, sW·x+b), a Hq×Wq image with Hq = ⌈Hp/sH⌉,
// Wq = ⌈Wp/sW⌉), tap (c, i, j) of output (oh, ow) reads phase
// (i·dH mod sH, j·dW mod sW) of channel c at (oh + ⌊i·dH/sH⌋, ow + ⌊j·dW/sW⌋).
// Computing the output "wide" (OH rows of Wq columns, the columns past OW
// discarded), every GEMM row of col is then a contiguous window of the
// phase images at a fixed offset, for any stride. The indirect microkernel
// reads those windows in place through a table of offsets, so col is
// neither built nor packed. For stride 1 there is one phase, the padded
// image itself.

// shiftGeom is the phase-image geometry of a convolution.
type shiftGeom struct {
	p      ConvParams
	hp, wp int // padded input
	hq, wq int // one stride phase of it
	phases int
	oh, ow int
	cg, kg int
	taps   int
	ncols  int // wide output columns, rounded up to whole tiles
	mrows  int // output channels per group, rounded up to whole tiles
	xpLen  int // phase images plus the slack the last tile reads
	offs   []int
	mr, nr int
	kern   *microKernel
}

func newShiftGeom(p ConvParams, kern *microKernel, offs []int) shiftGeom {
	return newShiftGeomWide(p, kern, offs, 0)
}

// newShiftGeomWide is newShiftGeom with phase images at least minWq
// columns wide (the extra columns are zero padding).
func newShiftGeomWide(p ConvParams, kern *microKernel, offs []int, minWq int) shiftGeom {
	g := shiftGeom{p: p, kern: kern, mr: kern.mr, nr: kern.nr}
	g.hp, g.wp = p.H+p.PadTop+p.PadBottom, p.W+p.PadLeft+p.PadRight
	g.hq, g.wq = (g.hp+p.StrideH-1)/p.StrideH, max(minWq, (g.wp+p.StrideW-1)/p.StrideW)
	g.phases = p.StrideH * p.StrideW
	g.oh, g.ow = p.OutH(), p.OutW()
	g.cg, g.kg = p.C/p.Groups, p.K/p.Groups
	g.taps = g.cg * p.KH * p.KW
	g.ncols = (g.oh*g.wq + g.nr - 1) / g.nr * g.nr
	g.mrows = (g.kg + g.mr - 1) / g.mr * g.mr
	g.xpLen = g.phases*g.cg*g.hq*g.wq + (p.KW-1)*p.DilationW/p.StrideW + g.ncols - g.oh*g.wq + g.nr
	g.offs = offs[:g.taps]
	for t := range g.offs {
		j := t % p.KW * p.DilationW
		i := t / p.KW % p.KH * p.DilationH
		c := t / (p.KW * p.KH)
		phase := i%p.StrideH*p.StrideW + j%p.StrideW
		g.offs[t] = (phase*g.cg+c)*g.hq*g.wq + i/p.StrideH*g.wq + j/p.StrideW
	}
	checkWindows("shift", g.offs, g.ncols, g.xpLen)
	return g
}

// padImage writes the group's channels of one image, zero-padded and split
// into stride phases, into xp. Only the margins around the copied pixels
// are cleared.
func (g shiftGeom) padImage(xp, x []float32) {
	p := g.p
	plane := g.hq * g.wq
	if g.phases == 1 && p.H > 0 && p.W > 0 {
		// One phase: the gap between two image rows is the right pad of one
		// and the left pad of the next, zeroed by copyRows.
		first := p.PadTop*g.wq + p.PadLeft
		last := (p.PadTop+p.H-1)*g.wq + p.PadLeft + p.W
		for c := range g.cg {
			pl := xp[c*plane : (c+1)*plane]
			clear(pl[:first])
			copyRows(pl[first:], g.wq, x[c*p.H*p.W:], p.W, p.H, p.W, g.wq-p.W)
			clear(pl[last:])
		}
		clear(xp[g.cg*plane:])
		return
	}
	for a := range p.StrideH {
		r0, nr := phaseRange(a, p.PadTop, p.StrideH, p.H)
		for b := range p.StrideW {
			c0, nc := phaseRange(b, p.PadLeft, p.StrideW, p.W)
			base := (a*p.StrideW + b) * g.cg * plane
			for c := range g.cg {
				clearMargins(xp[base+c*plane:][:plane], g.wq, r0, nr, c0, nc)
			}
		}
	}
	clear(xp[g.phases*g.cg*plane:])
	for c := range g.cg {
		for h := range p.H {
			src := x[(c*p.H+h)*p.W : (c*p.H+h+1)*p.W]
			y := h + p.PadTop
			rowAt := func(b, w0 int) []float32 { // phase b's row, from input column w0
				phase := y%p.StrideH*p.StrideW + b
				return xp[((phase*g.cg+c)*g.hq+y/p.StrideH)*g.wq+(w0+p.PadLeft)/p.StrideW:]
			}
			switch p.StrideW {
			case 1:
				copy(rowAt(0, 0), src) // one column phase: b = 0
			case 2:
				// Even input columns go to phase pL mod 2, odd ones to the other.
				be := p.PadLeft % 2
				deinterleave2(src, rowAt(be, 0), rowAt(1-be, 1))
			default:
				for b := range p.StrideW {
					w0 := ((b-p.PadLeft)%p.StrideW + p.StrideW) % p.StrideW
					if w0 >= p.W {
						continue
					}
					dst := rowAt(b, w0)
					for q, w := 0, w0; w < p.W; q, w = q+1, w+p.StrideW {
						dst[q] = src[w]
					}
				}
			}
		}
	}
}

// deinterleave2 writes the even elements of src to even and the odd ones
// to odd.
func deinterleave2(src, even, odd []float32) {
	done := deinterleave2Fast(src, even, odd)
	for i := 2 * done; i < len(src); i++ {
		if i%2 == 0 {
			even[i/2] = src[i]
		} else {
			odd[i/2] = src[i]
		}
	}
}

// interleave2 is the inverse of deinterleave2: dst[2i] = first[i],
// dst[2i+1] = second[i].
func interleave2(dst, first, second []float32) {
	done := interleave2Fast(dst, first, second)
	for i := 2 * done; i < len(dst); i++ {
		if i%2 == 0 {
			dst[i] = first[i/2]
		} else {
			dst[i] = second[i/2]
		}
	}
}

// checkWindows panics unless every window [off, off+span) lies within a
// buffer of n elements: the indirect assembly kernels read them unchecked,
// so a geometry bug must stop here rather than read past a buffer.
func checkWindows(what string, offs []int, span, n int) {
	for _, off := range offs {
		if off < 0 || off+span > n {
			panic(fmt.Sprintf("kernels: %s geometry: window [%d, %d) outside %d elements", what, off, off+span, n))
		}
	}
}

// copyRows copies rows rows of n elements from src (rows sstride apart)
// to dst (rows dstride apart), and zeroes the gap elements that follow
// each row in dst but the last (the padding between rows).
func copyRows(dst []float32, dstride int, src []float32, sstride, rows, n, gap int) {
	if copyRowsFast(dst, dstride, src, sstride, rows, n, gap) {
		return
	}
	for r := range rows {
		copy(dst[r*dstride:r*dstride+n], src[r*sstride:r*sstride+n])
		if r < rows-1 {
			clear(dst[r*dstride+n : r*dstride+n+gap])
		}
	}
}

// addConstRows is dst[r·dstride+i] = src[r·sstride+i] + b for r < rows,
// i < n.
func addConstRows(dst []float32, dstride int, src []float32, sstride, rows, n int, b float32) {
	// s·x + b with s = 1 and no floor: the product is x exactly, so this is x + b.
	scaleAddRows(dst, dstride, src, sstride, rows, n, 1, b, float32(math.Inf(-1)))
}

// clearMargins zeroes a rows×wq plane except the nr×nc block at (r0, c0).
func clearMargins(plane []float32, wq, r0, nr, c0, nc int) {
	if nr == 0 || nc == 0 {
		clear(plane)
		return
	}
	clear(plane[:r0*wq])
	for r := r0; r < r0+nr; r++ {
		// The side margins are a pad wide: plain stores beat memclr calls.
		row := plane[r*wq : (r+1)*wq]
		for i := 0; i < c0; i++ {
			row[i] = 0
		}
		for i := c0 + nc; i < wq; i++ {
			row[i] = 0
		}
	}
	clear(plane[(r0+nr)*wq:])
}

// shiftChunkBytes bounds the scratch (padded images and wide outputs) of
// one chunk of images, which share each packed weight block.
const shiftChunkBytes = 2 << 20

// run computes images [n0, n1) of group gi: each weight block (≤ blockKC
// taps of the group's output channels, packed from a) is packed once and
// swept over every image of the chunk. With workers > 1 the output
// channels are split across goroutines by whole row panels.
func (g shiftGeom) run(a operandA, gi, n0, n1, workers int, x, bias, y []float32, ep Epilogue) {
	p := g.p
	imgs := n1 - n0
	xp := getBuf(imgs * g.xpLen)
	out := getBuf(imgs * g.mrows * g.ncols)
	defer bufPool.Put(xp)
	defer bufPool.Put(out)
	for i := range imgs {
		g.padImage((*xp)[i*g.xpLen:(i+1)*g.xpLen], x[((n0+i)*p.C+gi*g.cg)*p.H*p.W:])
	}
	splitRange(g.mrows/g.mr, workers, func(p0, p1 int) {
		g.runRows(a, gi, n0, n1, p0*g.mr, min(g.kg, p1*g.mr), *xp, *out, bias, y, ep)
	})
}

// runRows computes output channels [k0, k1) (k0 a multiple of mr) of the
// images of run from their phase images xp, through the wide buffer out.
func (g shiftGeom) runRows(a operandA, gi, n0, n1, k0, k1 int, xp, out, bias, y []float32, ep Epilogue) {
	outLen := g.mrows * g.ncols
	rows := (k1 - k0 + g.mr - 1) / g.mr * g.mr
	abuf := getBuf(rows * min(blockKC, g.taps))
	defer bufPool.Put(abuf)
	for pc := 0; pc < g.taps; pc += blockKC {
		kc := min(blockKC, g.taps-pc)
		a.packA(*abuf, k0, k1-k0, pc, kc, g.mr)
		offs := g.offs[pc : pc+kc]
		for i := range n1 - n0 {
			xi, oi := xp[i*g.xpLen:(i+1)*g.xpLen], out[i*outLen+k0*g.ncols:(i+1)*outLen]
			for jr := 0; jr < g.ncols; jr += g.nr {
				k := g.kern.indFor(jr, g.oh*g.wq) // the output reads no column past oh·wq
				for ir := 0; ir < rows; ir += g.mr {
					k.ind(kc, (*abuf)[ir*kc:], xi[jr:], offs, oi[ir*g.ncols+jr:], g.ncols, pc > 0)
				}
			}
			if pc+kc == g.taps { // the image's sums are done: copy them out while in cache
				g.finishImage(gi, n0+i, k0, k1, out[i*outLen:], bias, y, ep)
			}
		}
	}
}

// finishImage writes output channels [k0, k1) of image n from the wide
// buffer out (the image's own) to y, adding the bias and the epilogue.
func (g shiftGeom) finishImage(gi, n, k0, k1 int, out, bias, y []float32, ep Epilogue) {
	base := (n*g.p.K + gi*g.kg) * g.oh * g.ow
	for k := k0; k < k1; k++ {
		var b float32
		if bias != nil {
			b = bias[gi*g.kg+k]
		}
		src, off := out[k*g.ncols:], base+k*g.oh*g.ow
		switch {
		case bias == nil:
			// The sums start from +0, so none is −0 and adding 0 would
			// change no bits: a copy.
			for r := range g.oh {
				row := off + r*g.ow
				copy(y[row:row+g.ow], src[r*g.wq:r*g.wq+g.ow])
				if !ep.none() {
					ep.apply(y[row:row+g.ow], row)
				}
			}
		case ep.none():
			addConstRows(y[off:], g.ow, src, g.wq, g.oh, g.ow, b)
		default:
			for r := range g.oh {
				row := off + r*g.ow
				addConstRows(y[row:], g.ow, src[r*g.wq:], g.wq, 1, g.ow, b)
				ep.apply(y[row:row+g.ow], row)
			}
		}
		if ep.Moments != nil {
			ep.Moments[n*g.p.K+gi*g.kg+k] = planeMoments(y[off : off+g.oh*g.ow])
		}
	}
}

// shiftConv2D is Conv2D through the indirect kernel; a(g) gives the
// weights of group g as a left operand. Work is split into (group, chunk of
// images) tasks, and, when there are fewer tasks than goroutines, each
// task's output channels are split too; an output's value depends on
// neither split.
func shiftConv2D(p ConvParams, a func(g int) operandA, x, bias, y []float32, ep Epilogue) {
	kern := gemmKernel()
	offsBuf := getIntBuf(p.C / p.Groups * p.KH * p.KW)
	defer intPool.Put(offsBuf)
	geo := newShiftGeom(p, kern, *offsBuf)
	chunk := max(1, shiftChunkBytes/(4*(geo.mrows*geo.ncols+geo.xpLen)))
	chunks := (p.N + chunk - 1) / chunk
	if workers := gomaxprocs(); p.N >= workers {
		// Whole rounds of equal chunks: 3 chunks on 2 goroutines would
		// leave one with twice the other's images.
		chunks = (chunks + workers - 1) / workers * workers
		chunk = (p.N + chunks - 1) / chunks
		chunks = (p.N + chunk - 1) / chunk
	}
	forTasks(p.Groups*chunks, p.flops(), func(t, workers int) {
		g, c := t/chunks, t%chunks
		n0, n1 := c*chunk, min(p.N, (c+1)*chunk)
		geo.run(a(g), g, n0, n1, workers, x, bias, y, ep)
	})
}

// backwardAsForward is the stride-1 backward-data convolution written as a
// forward one: dx = conv(dy, w′) with w′[c][k][i][j] = w[k][c][KH−1−i][KW−1−j]
// per group and pads (K−1)·d − pad. ok is false unless the stride is 1 and
// every such pad is at least 0.
func (p ConvParams) backwardAsForward() (q ConvParams, ok bool) {
	eh, ew := (p.KH-1)*p.DilationH, (p.KW-1)*p.DilationW
	q = p
	q.C, q.H, q.W, q.K = p.K, p.OutH(), p.OutW(), p.C
	q.PadTop, q.PadBottom, q.PadLeft, q.PadRight = eh-p.PadTop, eh-p.PadBottom, ew-p.PadLeft, ew-p.PadRight
	return q, p.StrideH == 1 && p.StrideW == 1 &&
		q.PadTop >= 0 && q.PadBottom >= 0 && q.PadLeft >= 0 && q.PadRight >= 0
}

// flipWeights writes w′ of backwardAsForward into dst.
func (p ConvParams) flipWeights(dst, w []float32) {
	cg, kg, kk := p.C/p.Groups, p.K/p.Groups, p.KH*p.KW
	for g := range p.Groups {
		for k := range kg {
			for c := range cg {
				src := w[((g*kg+k)*cg+c)*kk:][:kk]
				out := dst[((g*cg+c)*kg+k)*kk:][:kk]
				for t, v := range src {
					out[kk-1-t] = v
				}
			}
		}
	}
}
