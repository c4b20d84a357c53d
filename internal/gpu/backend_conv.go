package gpu

import "github.com/bincompress/bincompress/internal/backend"

// Convolution as GEMMs over im2col columns (cuda/conv.go), per group and
// per chunk of images: a chunk's columns take at most colLimit floats, so
// the scratch stays bounded at any batch (ResNet-18's first layer at
// batch 64 would otherwise take 470 MB of columns).
const colLimit = 1 << 25

// convPlan is one convolution's geometry in GEMM terms.
type convPlan struct {
	p             backend.Conv
	oh, ow, plane int
	cg, kg, rows  int // input and output channels per group, Cg·KH·KW
	chunk         int // images per chunk
}

func planConv(p backend.Conv) convPlan {
	g := max(p.Groups, 1)
	c := convPlan{p: p, oh: p.OutH(), ow: p.OutW(), cg: p.C / g, kg: p.K / g}
	c.plane = c.oh * c.ow
	c.rows = c.cg * p.KH * p.KW
	c.chunk = max(1, min(p.N, colLimit/max(1, c.rows*c.plane)))
	return c
}

// args are im2col's arguments (col2im's with the first two swapped) for
// images [b0, b0+n) of group gi.
func (c convPlan) args(x, col Buffer, b0, n, gi int, swap bool) []any {
	p := c.p
	a, z := at(x, b0*p.C*p.H*p.W), col
	if swap {
		a, z = z, a
	}
	return []any{a, z, i32(n), i32(p.C), i32(gi * c.cg), i32(c.cg), i32(p.H), i32(p.W),
		i32(p.KH), i32(p.KW), i32(p.StrideH), i32(p.StrideW), i32(p.PadTop), i32(p.PadLeft), i32(p.DilationH),
		i32(p.DilationW), i32(c.oh), i32(c.ow)}
}

// each calls f for each chunk of images and each group.
func (c convPlan) each(f func(b0, n, gi int)) {
	for b0 := 0; b0 < c.p.N; b0 += c.chunk {
		for gi := range max(c.p.Groups, 1) {
			f(b0, min(c.chunk, c.p.N-b0), gi)
		}
	}
}

// outArgs are out_from_cols' arguments for a chunk (cols_from_out's with
// the first two swapped).
func (c convPlan) outArgs(yk, y Buffer, b0, n, gi int, swap bool) []any {
	a, z := yk, at(y, b0*c.p.K*c.plane)
	if swap {
		a, z = z, a
	}
	return []any{a, z, i32(n), i32(c.p.K), i32(c.kg), i32(gi * c.kg), i64(c.plane)}
}

// convMoments is what Conv hands BatchNorm: its output came from a
// convolution, whose plane sums the CPU takes in its epilogue; BatchNorm
// then takes the statistics the same way (per plane, then combined).
type convMoments struct{}

func (b *Backend) Conv(p backend.Conv, x, w, bias, y backend.Buffer, moments bool) backend.Moments {
	c := planConv(p)
	col, yk := b.scratch(4*uint64(c.rows*c.chunk*c.plane)), b.scratch(4*uint64(c.kg*c.chunk*c.plane))
	defer b.drop(col, yk)
	c.each(func(b0, n, gi int) {
		cols := n * c.plane
		b.run("im2col", c.cg*cols, c.args(arr(x), col, b0, n, gi, false)...)
		b.gemm(false, false, c.kg, cols, c.rows, 1, at(arr(w), gi*c.kg*c.rows), c.rows, col, cols, 0, yk, cols)
		b.run("out_from_cols", c.kg*cols, c.outArgs(yk, arr(y), b0, n, gi, false)...)
	})
	if bias != nil {
		b.run("bias_add", y.Len(), arr(y), arr(bias), i32(p.N), i32(p.K), i64(c.plane))
	}
	if moments {
		return convMoments{}
	}
	return nil
}

func (b *Backend) ConvBackwardData(p backend.Conv, dy, w, dx backend.Buffer) {
	c := planConv(p)
	col, dyk := b.scratch(4*uint64(c.rows*c.chunk*c.plane)), b.scratch(4*uint64(c.kg*c.chunk*c.plane))
	defer b.drop(col, dyk)
	c.each(func(b0, n, gi int) {
		cols := n * c.plane
		b.run("cols_from_out", c.kg*cols, c.outArgs(dyk, arr(dy), b0, n, gi, true)...)
		b.gemm(true, false, c.rows, cols, c.kg, 1, at(arr(w), gi*c.kg*c.rows), c.rows, dyk, cols, 0, col, cols)
		b.run("col2im", n*c.cg*p.H*p.W, c.args(arr(dx), col, b0, n, gi, true)...)
	})
}

func (b *Backend) ConvBackwardFilter(p backend.Conv, x, dy, dw backend.Buffer) {
	b.filterGrad(p, arr(x), dy, dw)
}

// ConvBackwardFilterCodes decodes the whole input into scratch first.
func (b *Backend) ConvBackwardFilterCodes(p backend.Conv, q backend.Saved, dy, dw backend.Buffer) {
	x := b.scratch(4 * uint64(p.N*p.C*p.H*p.W))
	defer b.drop(x)
	b.decodeInto(q, x)
	b.filterGrad(p, x, dy, dw)
}

// filterGrad is dW_g = Σ over chunks dY'·colᵀ (the first chunk overwrites).
func (b *Backend) filterGrad(p backend.Conv, x Buffer, dy, dw backend.Buffer) {
	c := planConv(p)
	col, dyk := b.scratch(4*uint64(c.rows*c.chunk*c.plane)), b.scratch(4*uint64(c.kg*c.chunk*c.plane))
	defer b.drop(col, dyk)
	c.each(func(b0, n, gi int) {
		cols := n * c.plane
		b.run("im2col", c.cg*cols, c.args(x, col, b0, n, gi, false)...)
		b.run("cols_from_out", c.kg*cols, c.outArgs(dyk, arr(dy), b0, n, gi, true)...)
		beta := float32(1)
		if b0 == 0 {
			beta = 0
		}
		b.gemm(false, true, c.kg, c.rows, cols, 1, dyk, cols, col, cols, beta, at(arr(dw), gi*c.kg*c.rows), c.rows)
	})
}

func (b *Backend) ChannelSums(dst, x backend.Buffer, n, c, inner int) {
	b.run("channel_sums", c, arr(x), arr(dst), i32(n), i32(c), i64(inner))
}

// gemm is Device.Sgemm unless an op failed.
func (b *Backend) gemm(transA, transB bool, m, n, k int, alpha float32, x Buffer, lda int, y Buffer, ldb int, beta float32, z Buffer, ldc int) {
	if b.ok() {
		b.fail(b.d.Sgemm(transA, transB, m, n, k, alpha, x, lda, y, ldb, beta, z, ldc))
	}
}

func (b *Backend) Gemm(transA, transB bool, m, n, k int, alpha float32, x backend.Buffer, lda int, y backend.Buffer, ldb int, beta float32, z backend.Buffer, ldc int) {
	b.gemm(transA, transB, m, n, k, alpha, arr(x), lda, arr(y), ldb, beta, arr(z), ldc)
}

func (b *Backend) AddBias(y backend.Buffer, m, n int, c backend.Buffer, rs, cs int, beta float32) {
	b.run("add_bias", m*n, arr(y), arr(c), i32(m), i32(n), i64(rs), i64(cs), beta)
}

func (b *Backend) BiasGrad(dc, dy backend.Buffer, m, n, rs, cs int, beta float32) {
	b.run("bias_grad", dc.Len(), arr(dc), arr(dy), i32(m), i32(n), i64(rs), i64(cs), beta, i64(dc.Len()))
}
