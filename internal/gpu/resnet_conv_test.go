package gpu

import "math"

// convL is a convolution without bias. A binary layer runs Ŵ = s·sign(W)
// with s = mean|W| per output channel and, when the net compresses, saves
// its input as 1-bit codes; otherwise it keeps a reference to its input.
type convL struct {
	nt                         *Net
	k, kh, stride, pad, stream int
	binary                     bool
	p                          *param
	what, scale                Buffer
	g                          ConvGeom
	in                         dtensor // the saved input (exact)
	codes                      *DevCodes
	needDx                     bool
}

func (nt *Net) conv(cin, cout, k, stride int, binary, needDx bool, r *prng) (*convL, error) {
	l := &convL{nt: nt, k: cout, kh: k, stride: stride, pad: k / 2, binary: binary, needDx: needDx, stream: nt.nextStream()}
	var err error
	std := float32(math.Sqrt(6 / float64(cin*k*k))) // He-uniform bound
	if l.p, err = nt.newParam(cout*cin*k*k, r, std, 0, true); err != nil {
		return nil, err
	}
	if l.what, err = nt.d.Alloc(4 * uint64(cout*cin*k*k)); err != nil {
		return nil, err
	}
	l.scale, err = nt.d.Alloc(4 * uint64(cout))
	return l, err
}

func (l *convL) close() { l.nt.d.Free(l.what); l.nt.d.Free(l.scale) }

func (l *convL) geom(x dtensor) ConvGeom {
	oh := (x.h+2*l.pad-l.kh)/l.stride + 1
	ow := (x.w+2*l.pad-l.kh)/l.stride + 1
	return ConvGeom{N: x.n, C: x.c, H: x.h, W: x.w, K: l.k, KH: l.kh, KW: l.kh, StrideH: l.stride, StrideW: l.stride,
		PadTop: l.pad, PadLeft: l.pad, DilH: 1, DilW: 1, OH: oh, OW: ow}
}

// weights returns the weights the layer runs: Ŵ for a binary layer.
func (l *convL) weights() (Buffer, error) {
	if !l.binary {
		return l.p.w, nil
	}
	rows, cols := l.g.K, l.g.Rows()
	if err := l.nt.d.RowAbsMeanDev(l.p.w, l.scale, rows, cols); err != nil {
		return Buffer{}, err
	}
	return l.what, l.nt.d.SignScaleDev(l.p.w, l.what, l.scale, rows, cols)
}

// gemmCols runs im2col of x into a pooled buffer.
func (l *convL) gemmCols(x Buffer) (Buffer, error) {
	col, err := l.nt.d.Alloc(4 * uint64(l.g.Rows()*l.g.Cols()))
	if err != nil {
		return col, err
	}
	return col, l.nt.d.Im2colDev(l.g, x, col)
}

func (l *convL) forward(x dtensor) (dtensor, error) {
	d := l.nt.d
	l.g = l.geom(x)
	if err := l.g.valid(); err != nil {
		return dtensor{}, err
	}
	w, err := l.weights()
	if err != nil {
		return dtensor{}, err
	}
	col, err := l.gemmCols(x.b.buf)
	defer d.Free(col)
	if err != nil {
		return dtensor{}, err
	}
	yk, err := d.Alloc(4 * uint64(l.g.K*l.g.Cols()))
	defer d.Free(yk)
	if err != nil {
		return dtensor{}, err
	}
	if err := d.Sgemm(false, false, l.g.K, l.g.Cols(), l.g.Rows(), 1, w, l.g.Rows(), col, l.g.Cols(), 0, yk, l.g.Cols()); err != nil {
		return dtensor{}, err
	}
	y, err := l.nt.newTensor(x.n, l.k, l.g.OH, l.g.OW)
	if err != nil {
		return y, err
	}
	if err := d.Permute01Dev(yk, y.b.buf, l.g.K, l.g.N, l.g.OH*l.g.OW); err != nil {
		return y, err
	}
	return y, l.save(x)
}

func (l *convL) save(x dtensor) error {
	if !l.nt.compress || !l.binary {
		l.in = l.nt.retain(x)
		return nil
	}
	q, err := l.nt.d.AllocCodes(1, x.n, x.c, x.h*x.w)
	if err != nil {
		return err
	}
	l.codes = &q
	return l.nt.d.EncodeDev(q, x.b.buf, l.nt.key, uint64(l.stream))
}

func (l *convL) saved(m savedSet) {
	if l.codes != nil {
		m[l.codes] = l.codes.Bytes()
	}
	if l.in.b != nil {
		m[l.in.b] = int64(l.in.bytes())
	}
}

// input returns the saved input (decoded into a new tensor if compressed).
func (l *convL) input() (dtensor, error) {
	if l.codes == nil {
		x := l.in
		l.in = dtensor{}
		return x, nil
	}
	x, err := l.nt.newTensor(l.g.N, l.g.C, l.g.H, l.g.W)
	if err == nil {
		err = l.nt.d.DecodeDev(*l.codes, x.b.buf)
	}
	l.nt.d.FreeCodes(*l.codes)
	l.codes = nil
	return x, err
}

func (l *convL) backward(dy dtensor) (dtensor, error) {
	d, g := l.nt.d, l.g
	x, err := l.input()
	if err != nil {
		return dtensor{}, err
	}
	col, err := l.gemmCols(x.b.buf)
	l.nt.release(x)
	defer d.Free(col)
	if err != nil {
		return dtensor{}, err
	}
	dyk, err := d.Alloc(4 * uint64(g.K*g.Cols()))
	defer d.Free(dyk)
	if err != nil {
		return dtensor{}, err
	}
	if err := d.Permute01Dev(dy.b.buf, dyk, g.N, g.K, g.OH*g.OW); err != nil {
		return dtensor{}, err
	}
	if err := d.Sgemm(false, true, g.K, g.Rows(), g.Cols(), 1, dyk, g.Cols(), col, g.Cols(), 0, l.p.g, g.Rows()); err != nil {
		return dtensor{}, err
	}
	if !l.needDx {
		return dtensor{}, nil
	}
	w := l.p.w
	if l.binary {
		w = l.what
	}
	if err := d.Sgemm(true, false, g.Rows(), g.Cols(), g.K, 1, w, g.Rows(), dyk, g.Cols(), 0, col, g.Cols()); err != nil {
		return dtensor{}, err
	}
	dx, err := l.nt.newTensor(g.N, g.C, g.H, g.W)
	if err != nil {
		return dx, err
	}
	return dx, d.Col2imDev(g, col, dx.b.buf)
}

// bnL is training-mode batch normalization. It saves x̂ as a float tensor,
// or as 2-bit codes when the net compresses.
type bnL struct {
	nt                              *Net
	c, stream                       int
	gamma, beta                     *param
	mean, variance, invStd, sg, sgx Buffer
	xhat                            dtensor
	codes                           *DevCodes
	shape                           dtensor
}

func (nt *Net) bn(c int, r *prng) (*bnL, error) {
	l := &bnL{nt: nt, c: c, stream: nt.nextStream()}
	var err error
	if l.gamma, err = nt.newParam(c, r, 0, 1, false); err != nil {
		return nil, err
	}
	if l.beta, err = nt.newParam(c, r, 0, 0, false); err != nil {
		return nil, err
	}
	for _, b := range []*Buffer{&l.mean, &l.variance, &l.invStd, &l.sg, &l.sgx} {
		if *b, err = nt.d.Alloc(8 * uint64(c)); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (l *bnL) close() {
	for _, b := range []Buffer{l.mean, l.variance, l.invStd, l.sg, l.sgx} {
		l.nt.d.Free(b)
	}
}

func (l *bnL) forward(x dtensor) (dtensor, error) {
	d, inner := l.nt.d, x.h*x.w
	if x.c != l.c {
		return dtensor{}, shapeErr("batchnorm", x, l.c)
	}
	l.shape = dtensor{n: x.n, c: x.c, h: x.h, w: x.w}
	if err := d.MomentsDev(x.b.buf, l.mean, l.variance, l.invStd, x.n, x.c, inner, 1e-5); err != nil {
		return dtensor{}, err
	}
	y, err := l.nt.newTensor(x.n, x.c, x.h, x.w)
	if err != nil {
		return y, err
	}
	if err := d.BNApplyDev(x.b.buf, y.b.buf, l.mean, l.invStd, l.gamma.w, l.beta.w, x.n, x.c, inner); err != nil {
		return y, err
	}
	xh, err := l.nt.newTensor(x.n, x.c, x.h, x.w)
	if err != nil {
		return y, err
	}
	if err := d.BNNormalizeDev(x.b.buf, xh.b.buf, l.mean, l.invStd, x.n, x.c, inner); err != nil {
		return y, err
	}
	if !l.nt.compress {
		l.xhat = xh
		return y, nil
	}
	defer l.nt.release(xh)
	q, err := d.AllocCodes(2, x.n, x.c, inner)
	if err != nil {
		return y, err
	}
	l.codes = &q
	return y, d.EncodeDev(q, xh.b.buf, l.nt.key, uint64(l.stream))
}

func (l *bnL) saved(m savedSet) {
	m[l] = 8 * int64(l.c) // mean and 1/σ
	if l.codes != nil {
		m[l.codes] = l.codes.Bytes()
	}
	if l.xhat.b != nil {
		m[l.xhat.b] = int64(l.xhat.bytes())
	}
}

func (l *bnL) backward(dy dtensor) (dtensor, error) {
	d, s := l.nt.d, l.shape
	inner := s.h * s.w
	xh := l.xhat
	l.xhat = dtensor{}
	if l.codes != nil {
		var err error
		if xh, err = l.nt.newTensor(s.n, s.c, s.h, s.w); err != nil {
			return xh, err
		}
		err = d.DecodeDev(*l.codes, xh.b.buf)
		d.FreeCodes(*l.codes)
		l.codes = nil
		if err != nil {
			return dtensor{}, err
		}
	}
	defer l.nt.release(xh)
	if err := d.ChannelDotDev(dy.b.buf, xh.b.buf, l.sg, l.sgx, l.beta.g, l.gamma.g, s.n, s.c, inner); err != nil {
		return dtensor{}, err
	}
	dx, err := l.nt.newTensor(s.n, s.c, s.h, s.w)
	if err != nil {
		return dx, err
	}
	return dx, d.BNBackwardDxDev(dy.b.buf, xh.b.buf, dx.b.buf, l.gamma.w, l.invStd, l.sg, l.sgx, s.n, s.c, inner)
}
