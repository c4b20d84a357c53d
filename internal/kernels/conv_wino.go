package kernels

import "sync"

// Winograd F(4×4, 3×3) for 3×3 stride-1 convolutions (Lavin and Gray,
// "Fast Algorithms for Convolutional Neural Networks", 2016). The output
// is cut into 4×4 tiles; tile t reads a 6×6 input tile d_t and
//
//	y_t = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d_t B) ] A
//
// per pair of channels, summed over the input channels. Over the 36
// points ξ of the 6×6 transformed tile the sum over channels is a GEMM,
// Y_ξ[K][tiles] = U_ξ[K][C] · V_ξ[C][tiles], with a quarter of the
// multiply-adds of the direct convolution. The filter gradient is the
// same product turned around: with M_t = A dy_t Aᵀ (dy's 4×4 tile taken to
// 6×6), dU_ξ[K][C] = Σ_t M_ξ[K][t] · V_ξ[C][t] and dg = Gᵀ dU G.
//
// Tiles are laid out in strips: for one channel, every tile row of every
// image of a chunk side by side, each as a segment of tw+1 tiles (4·tw+4
// columns; the last tile of a segment is padding, which winoSplit drops
// and winoMerge fills with zeros, so the products see only real tiles). A
// transform is then two passes over whole strips: linRows down the six
// (or four) rows of all tile rows at once, and winoSplit or winoMerge
// across the tiles, 16 tiles a vector.
// Images go in chunks whose size depends on the shapes alone; within a
// chunk the transforms split by channel and the 36 products by point, and
// the filter gradient adds the chunks in order, so results do not depend
// on GOMAXPROCS.

// Lavin's matrices for the points 0, ±1, ±2 and ∞.
var (
	winoBT = []float32{ // 6×6: V = Bᵀ d B
		4, 0, -5, 0, 1, 0,
		0, -4, -4, 1, 1, 0,
		0, 4, -4, -1, 1, 0,
		0, -2, -1, 2, 1, 0,
		0, 2, -1, -2, 1, 0,
		0, 4, 0, -5, 0, 1,
	}
	winoG = []float32{ // 6×3: U = G g Gᵀ
		1.0 / 4, 0, 0,
		-1.0 / 6, -1.0 / 6, -1.0 / 6,
		-1.0 / 6, 1.0 / 6, -1.0 / 6,
		1.0 / 24, 1.0 / 12, 1.0 / 6,
		1.0 / 24, -1.0 / 12, 1.0 / 6,
		0, 0, 1,
	}
	winoGT = transposed(winoG, 6, 3) // 3×6: dg = Gᵀ dU G
	winoAT = []float32{              // 4×6: y = Aᵀ m A
		1, 1, 1, 1, 1, 0,
		0, 1, -1, 2, -2, 0,
		0, 1, 1, 4, 4, 0,
		0, 1, -1, 8, -8, 1,
	}
	winoA = transposed(winoAT, 4, 6) // 6×4: M = A dy Aᵀ
)

func transposed(m []float32, rows, cols int) []float32 {
	t := make([]float32, len(m))
	for i := range rows {
		for j := range cols {
			t[j*rows+i] = m[i*cols+j]
		}
	}
	return t
}

// winograd reports whether p runs by Winograd: a winogradShape with
// enough output tiles over the batch (winoMinTiles).
func (p ConvParams) winograd() bool {
	return p.winogradShape() && p.N*((p.OutH()+3)/4)*((p.OutW()+3)/4) >= winoMinTiles()
}

// winogradShape reports whether p's shape suits Winograd: 3×3, stride 1,
// no dilation, one group, pads of at most 2, enough channels on both sides
// for the point products to pay for the transforms, and vector transforms
// (AVX-512 or AVX2; or a test that asks for the Go ones).
func (p ConvParams) winogradShape() bool {
	return p.KH == 3 && p.KW == 3 && p.StrideH == 1 && p.StrideW == 1 && p.DilationH == 1 && p.DilationW == 1 &&
		p.Groups == 1 && p.C >= winoMinChannels && p.K >= winoMinChannels && p.N > 0 && p.OutH() > 0 && p.OutW() > 0 &&
		max(p.PadTop, p.PadLeft, p.PadBottom, p.PadRight) <= 2 && (useAVX512 || winoAVX2 || winoAnyCPU)
}

// winoMinChannels is the fewest input and output channels Winograd takes
// (with 16, as in ResNet-20's first stage, the point products are too thin
// to pay for the transforms: BenchmarkResNet20Train); winoAnyCPU lets the
// tests run it without AVX-512.
var (
	winoMinChannels = 32
	winoAnyCPU      = false
)

// winoMinTiles is the fewest 4×4 output tiles (over the batch) Winograd
// takes: one column tile of the GEMM microkernel. With fewer, the 36 point
// products leave most of each microkernel tile empty while the weights'
// transform (36·C·K floats) costs as much as at any batch: at batch 1 the
// 7×7 layers of a ResNet-18 (4 tiles) ran about 4× slower by Winograd
// than directly, and the whole model at half the rate it has now
// (`bench --batch 1`). Tests set winoTilesAny to take any count.
func winoMinTiles() int {
	if winoTilesAny {
		return 1
	}
	return gemmKernel().nr
}

var winoTilesAny = false

// winoChunkBytes bounds the transformed inputs and products of one chunk
// of images.
var winoChunkBytes = 16 << 20 // a variable for the tests

// winoScratch is the scratch (bytes) the passes of a convolution of p's
// shape hold at once when it runs by Winograd, 0 when it does not: the
// transformed weights U (with the flipped weights, for the input
// gradient) or the filter gradient's dU, both 36·C·K padded, beside the
// 27·C·K of their transform (the pools keep both), and a chunk's
// transforms with what a chunk adds to them (the images it decodes, each
// goroutine's transposed M_ξ: under one chunk more). A chunk is set by
// p's batch and tiles (winoGeom), under winoChunkBytes: a 2×2 layer's
// chunk of 32 images is a fifth of it, and with too few tiles over the
// batch the layer runs directly. With the shape not known (N, H or W 0),
// the bound over every batch and size: any 3×3 with enough channels, at
// the chunk bound.
func winoScratch(p ConvParams) int64 {
	pad := func(n int) int { return (n + 15) / 16 * 16 } // mr divides 16
	weights := 4 * int64(63*p.C*max(pad(p.K), pad(p.C))+9*p.C*p.K)
	if !known(p) {
		q := p
		q.StrideH, q.StrideW, q.DilationH, q.DilationW, q.N, q.H, q.W = 1, 1, 1, 1, 1, 3, 3
		q.PadTop, q.PadLeft, q.PadBottom, q.PadRight = 0, 0, 0, 0
		if !q.winogradShape() {
			return 0
		}
		return weights + 2*int64(winoChunkBytes)
	}
	var chunk int64
	for _, q := range []ConvParams{p, p.backwardAsForwardOr()} {
		if q.winograd() {
			g := newWinoGeom(q)
			chunk = max(chunk, 4*int64(36*(q.C+pad(q.K))*g.ldv+gemmKernel().nr))
		}
	}
	if chunk == 0 {
		return 0
	}
	return weights + 2*chunk
}

// backwardAsForwardOr is the forward convolution the input gradient of
// p runs as, or p when it runs otherwise.
func (p ConvParams) backwardAsForwardOr() ConvParams {
	if q, ok := p.backwardAsForward(); ok {
		return q
	}
	return p
}

// winoGeom is the tile geometry of a convolution.
type winoGeom struct {
	p      ConvParams
	oh, ow int
	th, tw int // tile rows and columns of an image
	seg    int // columns of a tile row's segment: 4·(tw+1)
	chunk  int // images per chunk
	ldv    int // tile columns of a chunk: chunk·th·tw
	room   int // floats per strip row (winoRowRoom of a chunk's strip tiles)
}

func newWinoGeom(p ConvParams) winoGeom {
	g := winoGeom{p: p, oh: p.OutH(), ow: p.OutW()}
	g.th, g.tw = (g.oh+3)/4, (g.ow+3)/4
	g.seg = 4 * (g.tw + 1)
	tiles := g.th * g.tw
	most := max(1, min(p.N, winoChunkBytes/(36*(p.C+(p.K+15)/16*16)*tiles*4)))
	// The chunk whose tile columns best fill the GEMMs' 48-column tiles.
	g.chunk = most
	for imgs := most - 1; imgs >= 1; imgs-- {
		if fill(imgs*tiles, 48) > fill(g.chunk*tiles, 48) {
			g.chunk = imgs
		}
	}
	g.ldv = g.chunk * tiles
	g.room = winoRowRoom(g.chunk * g.th * (g.tw + 1))
	return g
}

// fill is the share of n columns in the tiles of width w that cover them.
func fill(n, w int) float64 { return float64(n) / float64((n+w-1)/w*w) }

// weights writes U_ξ = G g Gᵀ for each pair of channels, from w
// [K][C][3][3], into u: point ξ at u[ξ·n:] (n = rounds·C, rounds = K
// rounded up to mr), laid out as packAll packs a [K][C] matrix for mr-row
// tiles. The transform is element-wise over the pairs, so it runs on them
// in that order and the result needs no packing.
func (g winoGeom) weights(u, w []float32, mr int) {
	p := g.p
	rounds := (p.K + mr - 1) / mr * mr
	n := rounds * p.C
	buf := getBuf(27 * n)
	defer bufPool.Put(buf)
	wt, t1 := (*buf)[:9*n], (*buf)[9*n:]
	clear(wt[:9*n])
	for pc := 0; pc < p.C; pc += blockKC {
		kc := min(blockKC, p.C-pc)
		for k := range p.K {
			base := rounds*pc + k/mr*mr*kc + k%mr
			for c := pc; c < pc+kc; c++ {
				at := base + (c-pc)*mr
				for a, v := range w[(k*p.C+c)*9 : (k*p.C+c)*9+9] {
					wt[a*n+at] = v
				}
			}
		}
	}
	sandwich(n, winoG, 6, 3, wt, u, t1)
}

// sandwich sets Y = M X Mᵀ in every lane: M is mo×mi (row-major), X mi×mi
// rows of n lanes (X[a][b] at x[(a·mi+b)·n:]), Y mo×mo rows likewise; t
// holds mo·mi rows of scratch. Down the columns first (linRows), then
// across.
func sandwich(n int, m []float32, mo, mi int, x, y, t []float32) {
	var so, do [6]int
	for b := range mi { // T[i][b] = Σ_a M[i][a] X[a][b]
		for a := range mi {
			so[a] = (a*mi + b) * n
		}
		for i := range mo {
			do[i] = (i*mi + b) * n
		}
		linRows(n, m, x, so[:mi], t, do[:mo])
	}
	for i := range mo { // Y[i][j] = Σ_b T[i][b] M[j][b]
		for b := range mi {
			so[b] = (i*mi + b) * n
		}
		for j := range mo {
			do[j] = (i*mo + j) * n
		}
		linRows(n, m, t, so[:mi], y, do[:mo])
	}
}

// filterOut writes dg = Gᵀ dU G into dw [K][C][3][3] from dut [36][C][kpad]
// (dU transposed, kpad ≥ K lanes per input channel).
func (g winoGeom) filterOut(dw, dut []float32, kpad int) {
	kc := g.p.C * kpad
	buf := getBuf(27 * kc)
	defer bufPool.Put(buf)
	t2, wt := (*buf)[:18*kc], (*buf)[18*kc:27*kc]
	sandwich(kc, winoGT, 3, 6, dut, wt, t2)
	for k := range g.p.K {
		for c := range g.p.C {
			for a := range 9 {
				dw[(k*g.p.C+c)*9+a] = wt[a*kc+c*kpad+k]
			}
		}
	}
}

// inputStrip writes the transformed tiles of channel c of a chunk's imgs
// images into v [36][C][ldv]: image(i) is image i's [C][H][W]. The six
// rows of every tile row go into strip segments, Bᵀ runs down them
// (linRows) and then across each tile's six columns (winoSplit).
func (g winoGeom) inputStrip(v []float32, c, imgs int, image func(i int) []float32) {
	p := g.p
	buf := getBuf(12 * g.room)
	defer bufPool.Put(buf)
	strip, tb := (*buf)[:6*g.room], (*buf)[6*g.room:]
	// Input row iy goes into a segment shifted by the left pad, zero where
	// it has no pixel (the margins are a few floats: plain stores beat
	// memclr calls). The geometry is read into locals once: the segments
	// are short, and per-row calls with g by value cost as much as the copy.
	h, w, pl, seg, room, th := p.H, p.W, p.PadLeft, g.seg, g.room, g.th
	n := min(w, seg-pl)
	plane := h * w
	for i := range imgs {
		x := image(i)[c*plane : (c+1)*plane]
		for ty := range th {
			off := (i*th + ty) * seg
			for r := range 6 {
				dst := strip[r*room+off:][:seg]
				iy := 4*ty + r - p.PadTop
				if iy < 0 || iy >= h {
					clear(dst)
					continue
				}
				for j := range dst[:pl] {
					dst[j] = 0
				}
				copy(dst[pl:pl+n], x[iy*w:iy*w+n])
				for j := pl + n; j < len(dst); j++ {
					dst[j] = 0
				}
			}
		}
	}
	tiles := imgs * g.th * (g.tw + 1)
	var so [6]int
	for r := range so {
		so[r] = r * g.room
	}
	linRows(4*tiles, winoBT, strip, so[:], tb, so[:])
	winoSplit(tiles, 6, 6, winoBT, tb, g.room, v[c*g.ldv:], p.C*g.ldv, g.tw+1)
}

// gradStrip writes M = A dy Aᵀ of output channel k of a chunk's imgs
// images into m [36][kpad][ldv]: dy(i) is image i's [K][OH][OW]. A runs
// down the four rows of every tile row (zero past OH and OW), then across
// each tile's four columns.
func (g winoGeom) gradStrip(m []float32, kpad, k, imgs int, dy func(i int) []float32) {
	buf := getBuf(10 * g.room)
	defer bufPool.Put(buf)
	strip, ub := (*buf)[:4*g.room], (*buf)[4*g.room:]
	ohw := g.oh * g.ow
	for i := range imgs {
		plane := dy(i)[k*ohw : (k+1)*ohw]
		for ty := range g.th {
			off := (i*g.th + ty) * g.seg
			for r := range 4 {
				dst := strip[r*g.room+off:][:g.seg]
				if oy := 4*ty + r; oy < g.oh {
					copy(dst, plane[oy*g.ow:(oy+1)*g.ow])
					for i := g.ow; i < len(dst); i++ {
						dst[i] = 0
					}
				} else {
					clear(dst)
				}
			}
		}
	}
	tiles := imgs * g.th * (g.tw + 1)
	var so, do [6]int
	for i := range do {
		so[i], do[i] = i*g.room, i*g.room
	}
	linRows(4*tiles, winoA, strip, so[:4], ub, do[:])
	winoSplit(tiles, 4, 6, winoA, ub, g.room, m[k*g.ldv:], kpad*g.ldv, g.tw+1)
}

// outputStrip writes output channel k of a chunk's imgs images from the
// products yb [36][K][ldv]: Aᵀ across each tile's six points into four
// interleaved columns (winoMerge), then Aᵀ down each tile row's six rows
// into its (up to) four output rows of y(i) ([K][OH][OW]), with the bias
// and the epilogue (base(i): the offset of y(i) in the epilogue's tensor,
// and its first plane's index).
func (g winoGeom) outputStrip(yb []float32, k, imgs int, y func(i int) []float32, base func(i int) (int, int), bias []float32, ep Epilogue) {
	p := g.p
	buf := getBuf(6 * g.room)
	defer bufPool.Put(buf)
	ob := *buf
	tiles := imgs * g.th * (g.tw + 1)
	winoMerge(tiles, winoAT, yb[k*g.ldv:], p.K*g.ldv, ob, g.room, g.tw+1)
	ohw := g.oh * g.ow
	var so, do [6]int
	for i := range imgs {
		yk := y(i)[k*ohw : (k+1)*ohw]
		off, planeIdx := base(i)
		for ty := range g.th {
			for r := range so {
				so[r] = r*g.room + (i*g.th+ty)*g.seg
			}
			rv := min(4, g.oh-4*ty)
			for r := range rv {
				do[r] = (4*ty + r) * g.ow
			}
			linRows(g.ow, winoAT, ob, so[:], yk, do[:rv])
			for r := range rv {
				row := yk[(4*ty+r)*g.ow : (4*ty+r+1)*g.ow]
				if bias != nil {
					addConstRows(row, 0, row, 0, 1, g.ow, bias[k])
				}
				if !ep.none() {
					ep.apply(row, off+k*ohw+(4*ty+r)*g.ow)
				}
			}
		}
		if ep.Moments != nil {
			ep.Moments[planeIdx+k] = planeMoments(yk)
		}
	}
}

// winoConv2D is Conv2D by Winograd for p.winograd() shapes.
func winoConv2D(p ConvParams, w, x, bias, y []float32, ep Epilogue) {
	g := newWinoGeom(p)
	kern := gemmKernel()
	rounds := (p.K + kern.mr - 1) / kern.mr * kern.mr
	ubuf := getBuf(36 * rounds * p.C)
	defer bufPool.Put(ubuf)
	g.weights(*ubuf, w, kern.mr)
	// The point products read V in place: its rows need a column tile of
	// slack past the chunk's columns.
	vlen := 36*p.C*g.ldv + kern.nr
	buf := getBuf(vlen + 36*p.K*g.ldv)
	defer bufPool.Put(buf)
	v, yb := (*buf)[:vlen], (*buf)[vlen:]
	ops := winoOpsPool.Get().(*winoOps) // pointers into it make interfaces without allocating
	defer func() { *ops = winoOps{}; winoOpsPool.Put(ops) }()
	as, bs := &ops.as, &ops.bs
	for xi := range 36 {
		n := rounds * p.C
		as[xi] = packedA{buf: (*ubuf)[xi*n : (xi+1)*n], m: p.K, mr: kern.mr, rounds: rounds}
		bs[xi] = directB{b: v[xi*p.C*g.ldv:], ldb: g.ldv}
	}
	chw, khw := p.C*p.H*p.W, p.K*g.oh*g.ow
	for n0 := 0; n0 < p.N; n0 += g.chunk {
		imgs := min(g.chunk, p.N-n0)
		forTasks(p.C, p.flops(), func(c, _ int) {
			g.inputStrip(v, c, imgs, func(i int) []float32 { return x[(n0+i)*chw : (n0+i+1)*chw] })
		})
		cols := imgs * g.th * g.tw
		forTasks(36, p.flops(), func(xi, workers int) {
			runGemm(gemmJob{m: p.K, n: cols, k: p.C, a: &as[xi], b: &bs[xi], c: yb[xi*p.K*g.ldv:], ldc: g.ldv}, kern, workers)
		})
		forTasks(p.K, p.flops(), func(k, _ int) {
			g.outputStrip(yb, k, imgs, func(i int) []float32 { return y[(n0+i)*khw : (n0+i+1)*khw] },
				func(i int) (int, int) { return (n0 + i) * khw, (n0 + i) * p.K }, bias, ep)
		})
	}
}

// winoOps are the 36 point products' operands of a forward convolution.
type winoOps struct {
	as [36]packedA
	bs [36]directB
}

var winoOpsPool = sync.Pool{New: func() any { return new(winoOps) }}

// winoBackwardFilter is Conv2DBackwardFilter by Winograd for
// p.winograd() shapes, with the images from src: per chunk, each point's
// dU (transposed, [C][kpad]) adds M_ξ·V_ξᵀ through the lane filter tiles,
// M_ξ transposed to [tile][kpad] first.
func winoBackwardFilter(p ConvParams, src imageSource, dy, dw []float32) {
	g := newWinoGeom(p)
	fk := filterKernelsFor()
	if fk == nil {
		fk = &goFilterKernels
	}
	kpad := (p.K + 15) / 16 * 16
	buf := getBuf(36 * (p.C + kpad) * g.ldv)
	defer bufPool.Put(buf)
	v, m := (*buf)[:36*p.C*g.ldv], (*buf)[36*p.C*g.ldv:]
	for xi := range 36 { // channels past K stay zero
		clear(m[(xi*kpad+p.K)*g.ldv : (xi+1)*kpad*g.ldv])
	}
	dut := getBuf(36 * p.C * kpad)
	defer bufPool.Put(dut)
	clear(*dut)
	blocks := fk.tileBlocks(kpad/16, p.C)
	ohw, chw := g.oh*g.ow, p.C*p.H*p.W
	// Images that src makes (decodes) are made once per chunk, each into
	// its own scratch, before the channels' transforms read them.
	var made *[]float32
	if src.scratch > 0 {
		made = getBuf(g.chunk * src.scratch)
		defer bufPool.Put(made)
	}
	images := make([][]float32, g.chunk)
	for n0 := 0; n0 < p.N; n0 += g.chunk {
		imgs := min(g.chunk, p.N-n0)
		forTasks(imgs, float64(imgs*chw), func(i, _ int) {
			var scratch []float32
			if made != nil {
				scratch = (*made)[i*src.scratch : (i+1)*src.scratch]
			}
			images[i] = src.at(n0+i, 0, scratch)
		})
		forTasks(p.C, p.flops(), func(c, _ int) {
			g.inputStrip(v, c, imgs, func(i int) []float32 { return images[i] })
		})
		forTasks(p.K, p.flops(), func(k, _ int) {
			g.gradStrip(m, kpad, k, imgs, func(i int) []float32 { return dy[(n0+i)*p.K*ohw : (n0+i+1)*p.K*ohw] })
		})
		cols := imgs * g.th * g.tw
		forTasks(36, p.flops(), func(xi, _ int) {
			mt := getBuf(cols * kpad)
			defer bufPool.Put(mt)
			mx := m[xi*kpad*g.ldv:]
			for k0 := 0; k0 < kpad; k0 += 16 {
				for j0 := 0; j0 < cols; j0 += 16 {
					fk.transpose((*mt)[j0*kpad+k0:], kpad, mx[k0*g.ldv+j0:], g.ldv, min(16, cols-j0))
				}
			}
			for _, b := range blocks {
				fk.tile(b.c.n, b.k.n, cols, 1, v[(xi*p.C+b.c.start)*g.ldv:], g.ldv, 0,
					(*mt)[16*b.k.start:], kpad, 0, (*dut)[(xi*p.C+b.c.start)*kpad+16*b.k.start:], kpad)
			}
		})
	}
	g.filterOut(dw, *dut, kpad)
}
