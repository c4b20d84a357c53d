package autograd

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/backend"
	"github.com/bincompress/bincompress/internal/kernels"
)

// mat is a stored row-major matrix used as op(X): X when !t, Xᵀ when t.
type mat struct {
	d          backend.Buffer
	rows, cols int // stored dimensions
	t          bool
}

func (m mat) r() int    { return pick(m.t, m.cols, m.rows) }
func (m mat) c() int    { return pick(m.t, m.rows, m.cols) }
func (m mat) flip() mat { m.t = !m.t; return m }
func pick(c bool, a, b int) int {
	if c {
		return a
	}
	return b
}

// mm writes dst = alpha·op(a)·op(b) (overwriting dst).
func mm(be backend.Backend, dst backend.Buffer, alpha float32, a, b mat) {
	be.Gemm(a.t, b.t, a.r(), b.c(), a.c(), alpha, a.d, a.cols, b.d, b.cols, 0, dst, b.c())
}

func (CPU) Gemm(transA, transB bool, m, n, k int, alpha float32, a backend.Buffer, lda int, b backend.Buffer, ldb int, beta float32, c backend.Buffer, ldc int) {
	kernels.Sgemm(transA, transB, m, n, k, alpha, host(a), lda, host(b), ldb, beta, host(c), ldc)
}

// GemmAttrs are ONNX Gemm's attributes.
type GemmAttrs struct {
	Alpha, Beta    float32
	TransA, TransB bool
}

// gemmOp saves A (a float reference, or 1-bit codes for a binary layer on a
// compressing tape) for B's gradient and B for A's gradient.
type gemmOp struct {
	be          backend.Backend
	a, b        mat
	as          Saved
	alpha, beta float32
	out, ag, bg *Grad
	cg          *Grad
	cShape      []int
	m, n        int
	bufs        *Buffers // the tape's, for backward's dA and decoded A
}

// Gemm computes Y = alpha·op(A)·op(B) + beta·C with C broadcast to [M, N]
// (C may be nil). binary marks B as binary weights (see Conv).
func (tp *Tape) Gemm(a, b, c *Tensor, at GemmAttrs, binary bool) (*Tensor, error) {
	if len(a.Shape) != 2 || len(b.Shape) != 2 {
		return nil, fmt.Errorf("autograd: gemm wants 2-D operands, got %v and %v", a.Shape, b.Shape)
	}
	am := mat{d: a.Buffer(), rows: a.Shape[0], cols: a.Shape[1], t: at.TransA}
	bm := mat{d: b.Buffer(), rows: b.Shape[0], cols: b.Shape[1], t: at.TransB}
	if am.c() != bm.r() {
		return nil, fmt.Errorf("autograd: gemm inner dimensions differ: %v and %v (transA %v, transB %v)", a.Shape, b.Shape, at.TransA, at.TransB)
	}
	ins := []*Tensor{a, b}
	if c != nil {
		ins = append(ins, c)
	}
	be, err := backendOf(ins...)
	if err != nil {
		return nil, err
	}
	m, n := am.r(), bm.c()
	var rs, cs int
	if c != nil {
		if rs, cs, err = biasStrides(c.Shape, m, n); err != nil {
			return nil, err
		}
	}
	y := tp.outputOn(be, m*n, ins...)
	mm(be, y, at.Alpha, am, bm)
	if c != nil {
		be.AddBias(y, m, n, c.Buffer(), rs, cs, at.Beta)
	}
	out := resultOn(be, []int{m, n}, y, ins...)
	if tp.recording(ins...) {
		o := &gemmOp{be: be, a: am, b: bm, alpha: at.Alpha, beta: at.Beta, out: out.g, ag: a.g, bg: b.g, m: m, n: n, bufs: tp.Buffers}
		if c != nil {
			o.cg, o.cShape = c.g, c.Shape
		}
		if b.RequiresGrad() {
			o.as = tp.saveInput(be, a, binary)
		}
		if !a.RequiresGrad() {
			o.b.d = nil
		}
		tp.record(out, o)
	}
	return out, nil
}

// AddBias adds beta·C, C unidirectionally broadcast to [m, n].
func (CPU) AddBias(yb backend.Buffer, m, n int, cb backend.Buffer, rs, cs int, beta float32) {
	y, c := host(yb), host(cb)
	for i := range m {
		for j := range n {
			y[i*n+j] += beta * c[i*rs+j*cs]
		}
	}
}

// BiasGrad reduces beta·dY onto C's broadcast shape.
func (CPU) BiasGrad(dcb, dyb backend.Buffer, m, n, rs, cs int, beta float32) {
	dc, dy := host(dcb), host(dyb)
	clear(dc)
	for i := range m {
		for j := range n {
			dc[i*rs+j*cs] += beta * dy[i*n+j]
		}
	}
}

// biasStrides gives C's strides over rows and columns of [m, n] (0 where broadcast).
func biasStrides(shape []int, m, n int) (rs, cs int, err error) {
	dims := []int{1, 1}
	copy(dims[2-min(len(shape), 2):], shape[max(len(shape)-2, 0):])
	if len(shape) > 2 || (dims[0] != 1 && dims[0] != m) || (dims[1] != 1 && dims[1] != n) {
		return 0, 0, fmt.Errorf("autograd: gemm C of shape %v does not broadcast to [%d %d]", shape, m, n)
	}
	if dims[1] != 1 {
		cs = 1
	}
	if dims[0] != 1 {
		rs = dims[1]
	}
	return rs, cs, nil
}

func (o *gemmOp) backward() {
	dy := o.out.value()
	if dy == nil {
		return
	}
	be := o.be
	d := mat{d: dy, rows: o.m, cols: o.n}
	if o.ag != nil && o.b.d != nil {
		da := scratch(be, o.bufs, o.a.rows*o.a.cols)
		if o.a.t { // dA = alpha·op(B)·dYᵀ
			mm(be, da, o.alpha, o.b, d.flip())
		} else { // dA = alpha·dY·op(B)ᵀ
			mm(be, da, o.alpha, d, o.b.flip())
		}
		o.ag.takeBuf(be, o.bufs, da)
	}
	if o.bg != nil && o.as != nil {
		a := o.a
		ad, fresh := restore(be, o.as, o.a.rows*o.a.cols, o.bufs)
		a.d = ad
		db := gradScratch(be, o.bg, o.bufs, o.b.rows*o.b.cols)
		if o.b.t { // dB = alpha·dYᵀ·op(A)
			mm(be, db, o.alpha, d.flip(), a)
		} else { // dB = alpha·op(A)ᵀ·dY
			mm(be, db, o.alpha, a.flip(), d)
		}
		o.bg.takeBuf(be, o.bufs, db)
		if fresh {
			unscratch(be, o.bufs, ad)
		}
	}
	if o.cg != nil {
		rs, cs, _ := biasStrides(o.cShape, o.m, o.n)
		dc := scratch(be, o.bufs, lenOf(o.cShape))
		be.BiasGrad(dc, dy, o.m, o.n, rs, cs, o.beta)
		o.cg.takeBuf(be, o.bufs, dc)
	}
}

func lenOf(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func (o *gemmOp) saved() []Saved {
	var s []Saved
	if o.as != nil {
		s = append(s, o.as)
	}
	if o.b.d != nil {
		s = append(s, floatRef{b: o.b.d, param: true})
	}
	return s
}

// MatMul computes A·B for A [..., M, K] and a 2-D B [K, N] (the leading
// dimensions of A are flattened), as ONNX MatMul does for a dense layer.
func (tp *Tape) MatMul(a, b *Tensor, binary bool) (*Tensor, error) {
	if len(a.Shape) < 2 || len(b.Shape) != 2 {
		return nil, fmt.Errorf("autograd: matmul supports A of rank >= 2 and a 2-D B, got %v and %v", a.Shape, b.Shape)
	}
	k := a.Shape[len(a.Shape)-1]
	flat := tp.View(a, []int{a.Len() / max(k, 1), k})
	y, err := tp.Gemm(flat, b, nil, GemmAttrs{Alpha: 1}, binary)
	if err != nil {
		return nil, err
	}
	shape := append(append([]int(nil), a.Shape[:len(a.Shape)-1]...), b.Shape[1])
	return tp.View(y, shape), nil
}
