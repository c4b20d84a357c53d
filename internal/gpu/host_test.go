package gpu

// Host is the Backend view of a Device: each op uploads its inputs, runs
// the kernels and downloads its outputs. It exists for the parity suite and
// tests; a trainer keeps tensors on the device and calls the *Dev ops.
type Host struct{ D *Device }

// Host returns the device's Backend view.
func (d *Device) Host() Host { return Host{D: d} }

func (h Host) Name() string { return "cuda " + h.D.Name }

// frame holds the buffers of one host op and frees them at the end.
type frame struct {
	d    *Device
	bufs []Buffer
	err  error
}

func (h Host) frame() *frame { return &frame{d: h.D} }

// in uploads a host slice; out allocates room for one.
func (f *frame) in(src any) Buffer {
	b := f.out(src)
	if f.err == nil {
		f.err = f.d.Upload(b, src)
	}
	return b
}

func (f *frame) out(like any) Buffer {
	_, n, err := hostBytes(like)
	return f.alloc(n, err)
}

func (f *frame) alloc(n uint64, err error) Buffer {
	if f.err != nil {
		return Buffer{}
	}
	if err != nil {
		f.err = err
		return Buffer{}
	}
	b, err := f.d.Alloc(n)
	f.err = err
	f.bufs = append(f.bufs, b)
	return b
}

// do runs an op if nothing failed so far.
func (f *frame) do(op func() error) {
	if f.err == nil {
		f.err = op()
	}
}

// get downloads into dst.
func (f *frame) get(dst any, b Buffer) {
	f.do(func() error { return f.d.Download(dst, b) })
}

// done frees the buffers and returns the first error.
func (f *frame) done() error {
	for _, b := range f.bufs {
		if err := f.d.Free(b); err != nil && f.err == nil {
			f.err = err
		}
	}
	return f.err
}

func (h Host) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	if err := checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc); err != nil {
		return err
	}
	f := h.frame()
	da, db, dc := f.in(a), f.in(b), f.in(c)
	f.do(func() error { return h.D.Sgemm(transA, transB, m, n, k, alpha, da, lda, db, ldb, beta, dc, ldc) })
	f.get(c, dc)
	return f.done()
}

func (h Host) Im2col(g ConvGeom, x, col []float32) error {
	if err := checkConv("im2col", g, len(x), len(col)); err != nil {
		return err
	}
	f := h.frame()
	dx, dc := f.in(x), f.out(col)
	f.do(func() error { return h.D.Im2colDev(g, dx, dc) })
	f.get(col, dc)
	return f.done()
}

func (h Host) Col2im(g ConvGeom, col, dx []float32) error {
	if err := checkConv("col2im", g, len(dx), len(col)); err != nil {
		return err
	}
	f := h.frame()
	dc, dd := f.in(col), f.out(dx)
	f.do(func() error { return h.D.Col2imDev(g, dc, dd) })
	f.get(dx, dd)
	return f.done()
}

func (h Host) Permute01(a, b, inner int, x, y []float32) error {
	if err := checkLen("permute01", a*b*inner, len(x), len(y)); err != nil {
		return err
	}
	f := h.frame()
	dx, dy := f.in(x), f.out(y)
	f.do(func() error { return h.D.Permute01Dev(dx, dy, a, b, inner) })
	f.get(y, dy)
	return f.done()
}

func (h Host) BatchNormTrain(n, c, inner int, x, gamma, beta, y []float32, eps float32) (BNStats, error) {
	if err := checkBN("batchnorm", n, c, inner, [][]float32{x, y}, gamma, beta); err != nil {
		return BNStats{}, err
	}
	st := BNStats{Mean: make([]float32, c), Var: make([]float32, c), InvStd: make([]float32, c)}
	f := h.frame()
	dx, dg, db, dy := f.in(x), f.in(gamma), f.in(beta), f.out(y)
	dm, dv, di := f.out(st.Mean), f.out(st.Var), f.out(st.InvStd)
	f.do(func() error { return h.D.MomentsDev(dx, dm, dv, di, n, c, inner, eps) })
	f.do(func() error { return h.D.BNApplyDev(dx, dy, dm, di, dg, db, n, c, inner) })
	f.get(y, dy)
	f.get(st.Mean, dm)
	f.get(st.Var, dv)
	f.get(st.InvStd, di)
	return st, f.done()
}

func (h Host) BatchNormNormalize(n, c, inner int, x []float32, st BNStats, xhat []float32) error {
	if err := checkBN("batchnorm normalize", n, c, inner, [][]float32{x, xhat}, st.Mean, st.InvStd); err != nil {
		return err
	}
	f := h.frame()
	dx, dm, di, dh := f.in(x), f.in(st.Mean), f.in(st.InvStd), f.out(xhat)
	f.do(func() error { return h.D.BNNormalizeDev(dx, dh, dm, di, n, c, inner) })
	f.get(xhat, dh)
	return f.done()
}

func (h Host) BatchNormBackward(n, c, inner int, dy, xhat, gamma []float32, st BNStats, dx, dgamma, dbeta []float32) error {
	if err := checkBN("batchnorm backward", n, c, inner, [][]float32{dy, xhat, dx}, gamma, st.InvStd, dgamma, dbeta); err != nil {
		return err
	}
	f := h.frame()
	ddy, dh, dg, di := f.in(dy), f.in(xhat), f.in(gamma), f.in(st.InvStd)
	ddx, ddg, ddb := f.out(dx), f.out(dgamma), f.out(dbeta)
	sg, sgx := f.alloc(8*uint64(c), nil), f.alloc(8*uint64(c), nil)
	f.do(func() error { return h.D.ChannelDotDev(ddy, dh, sg, sgx, ddb, ddg, n, c, inner) })
	f.do(func() error { return h.D.BNBackwardDxDev(ddy, dh, ddx, dg, di, sg, sgx, n, c, inner) })
	f.get(dx, ddx)
	f.get(dgamma, ddg)
	f.get(dbeta, ddb)
	return f.done()
}

// unary runs a one-input, one-output op.
func (h Host) unary(x, y any, op func(dx, dy Buffer) error) error {
	f := h.frame()
	dx, dy := f.in(x), f.out(y)
	f.do(func() error { return op(dx, dy) })
	f.get(y, dy)
	return f.done()
}

func (h Host) Relu(x, y []float32) error {
	if err := checkLen("relu", len(x), len(y)); err != nil {
		return err
	}
	return h.unary(x, y[:len(x)], func(a, b Buffer) error { return h.D.ReluDev(a, b, len(x)) })
}

func (h Host) ReluMask(x []float32, mask []uint64) error {
	w := (len(x) + 63) / 64
	if err := checkLen("relu mask", w, len(mask)); err != nil {
		return err
	}
	return h.unary(x, mask[:w], func(a, b Buffer) error { return h.D.ReluMaskDev(a, b, len(x)) })
}

func (h Host) ReluBackward(mask []uint64, dy, dx []float32) error {
	if err := checkLen("relu backward", len(dy), len(dx), 64*len(mask)); err != nil {
		return err
	}
	f := h.frame()
	dm, ddy, ddx := f.in(mask), f.in(dy), f.out(dx[:len(dy)])
	f.do(func() error { return h.D.ReluBackwardDev(dm, ddy, ddx, len(dy)) })
	f.get(dx[:len(dy)], ddx)
	return f.done()
}

func (h Host) Add(a, b, y []float32) error {
	if err := checkLen("add", len(a), len(b), len(y)); err != nil {
		return err
	}
	f := h.frame()
	da, db, dy := f.in(a), f.in(b[:len(a)]), f.out(y[:len(a)])
	f.do(func() error { return h.D.AddDev(da, db, dy, len(a)) })
	f.get(y[:len(a)], dy)
	return f.done()
}

func (h Host) GlobalAvgPool(planes, hw int, x, y []float32) error {
	if err := checkGAP(planes, hw, len(x), len(y)); err != nil {
		return err
	}
	return h.unary(x[:planes*hw], y[:planes], func(a, b Buffer) error { return h.D.GAPDev(a, b, planes, hw) })
}

func (h Host) GlobalAvgPoolBackward(planes, hw int, dy, dx []float32) error {
	if err := checkGAP(planes, hw, len(dx), len(dy)); err != nil {
		return err
	}
	return h.unary(dy[:planes], dx[:planes*hw], func(a, b Buffer) error { return h.D.GAPBackwardDev(a, b, planes, hw) })
}
