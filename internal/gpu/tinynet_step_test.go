package gpu

// TinyNet is a small residual network trained by TrainStep through the
// Backend interface only, so that the CPU reference and a GPU run the same
// sequence of ops and the parity suite can compare a whole training step:
//
//	x [N,3,8,8] → binary conv 3×3 (8) → BN → ReLU = a1
//	a1 → binary conv 3×3 (8) → BN → + a1 → ReLU → max pool 3×3/2 → global
//	average pool → dense 8→10 (float, bias as a ninth input column) → loss
//
// It is also the template of what a trainer runs on the GPU per step.
type TinyNet struct {
	W1, W2         []float32 // [8,3,3,3], [8,8,3,3] latent float weights
	G1, B1, G2, B2 []float32 // BN γ, β
	FC             []float32 // [10, 9]: weights and bias column
	mom            [][]float32
}

const tinyC, tinyHW, tinyK = 8, 8, 10

// NewTinyNet draws weights from seed.
func NewTinyNet(seed uint64) *TinyNet {
	r := newPRNG(seed)
	t := &TinyNet{W1: r.floats(tinyC*3*9, -0.5, 0.5), W2: r.floats(tinyC*tinyC*9, -0.2, 0.2),
		G1: r.floats(tinyC, 0.8, 1.2), B1: r.floats(tinyC, -0.1, 0.1),
		G2: r.floats(tinyC, 0.8, 1.2), B2: r.floats(tinyC, -0.1, 0.1), FC: r.floats(tinyK*(tinyC+1), -0.3, 0.3)}
	for _, p := range t.params() {
		t.mom = append(t.mom, make([]float32, len(p)))
	}
	return t
}

func (t *TinyNet) params() [][]float32 { return [][]float32{t.W1, t.W2, t.G1, t.B1, t.G2, t.B2, t.FC} }

// StepOptions configure TrainStep.
type StepOptions struct {
	Compress bool    // save conv inputs as 1-bit codes and BN's x̂ as 2-bit codes
	Key      uint64  // seeds the stochastic codes
	LR       float32 // learning rate (momentum 0.9, weight decay 5e-4 on W1, W2, FC)
}

// convLayer is one binary conv's forward state.
type convLayer struct {
	g     ConvGeom
	what  []float32 // s·sign(W)
	saved []float32 // exact input, or nil
	codes *Codes    // compressed input
}

func tinyGeom(n, c int) ConvGeom {
	return ConvGeom{N: n, C: c, H: tinyHW, W: tinyHW, K: tinyC, KH: 3, KW: 3, StrideH: 1, StrideW: 1,
		PadTop: 1, PadLeft: 1, DilH: 1, DilW: 1, OH: tinyHW, OW: tinyHW}
}

// convForward binarizes w, saves x (or its codes) and returns y NCHW.
func convForward(b Backend, g ConvGeom, w, x []float32, o StepOptions, stream uint64) (*convLayer, []float32, error) {
	l := &convLayer{g: g, what: make([]float32, len(w))}
	scale := make([]float32, g.K)
	if err := b.RowAbsMean(g.K, g.Rows(), w, scale); err != nil {
		return nil, nil, err
	}
	if err := b.SignScale(g.K, g.Rows(), w, scale, l.what); err != nil {
		return nil, nil, err
	}
	col := make([]float32, g.Rows()*g.Cols())
	if err := b.Im2col(g, x, col); err != nil {
		return nil, nil, err
	}
	yk := make([]float32, g.K*g.Cols())
	if err := b.Sgemm(false, false, g.K, g.Cols(), g.Rows(), 1, l.what, g.Rows(), col, g.Cols(), 0, yk, g.Cols()); err != nil {
		return nil, nil, err
	}
	y := make([]float32, len(yk))
	if err := b.Permute01(g.K, g.N, g.OH*g.OW, yk, y); err != nil {
		return nil, nil, err
	}
	if !o.Compress {
		l.saved = x
		return l, y, nil
	}
	q, err := NewCodes(1, g.N, g.C, g.H*g.W)
	if err == nil {
		err = b.Encode(q, x, o.Key, stream)
	}
	l.codes = q
	return l, y, err
}

// convBackward returns dx and writes dW from dy (NCHW).
func convBackward(b Backend, l *convLayer, dy, dw []float32) ([]float32, error) {
	g := l.g
	x := l.saved
	if l.codes != nil {
		x = make([]float32, l.codes.Len())
		if err := b.Decode(l.codes, x); err != nil {
			return nil, err
		}
	}
	col := make([]float32, g.Rows()*g.Cols())
	if err := b.Im2col(g, x, col); err != nil {
		return nil, err
	}
	dyk := make([]float32, len(dy))
	if err := b.Permute01(g.N, g.K, g.OH*g.OW, dy, dyk); err != nil {
		return nil, err
	}
	if err := b.Sgemm(false, true, g.K, g.Rows(), g.Cols(), 1, dyk, g.Cols(), col, g.Cols(), 0, dw, g.Rows()); err != nil {
		return nil, err
	}
	dcol := make([]float32, len(col))
	if err := b.Sgemm(true, false, g.Rows(), g.Cols(), g.K, 1, l.what, g.Rows(), dyk, g.Cols(), 0, dcol, g.Cols()); err != nil {
		return nil, err
	}
	dx := make([]float32, g.N*g.C*g.H*g.W)
	return dx, b.Col2im(g, dcol, dx)
}

// bnLayer is one training-mode BN's forward state.
type bnLayer struct {
	n, c, inner int
	st          BNStats
	xhat        []float32
	codes       *Codes
}

func bnForward(b Backend, n int, x, gamma, beta []float32, o StepOptions, stream uint64) (*bnLayer, []float32, error) {
	l := &bnLayer{n: n, c: tinyC, inner: tinyHW * tinyHW}
	y, xh := make([]float32, len(x)), make([]float32, len(x))
	st, err := b.BatchNormTrain(n, l.c, l.inner, x, gamma, beta, y, 1e-5)
	if err != nil {
		return nil, nil, err
	}
	l.st = st
	if err := b.BatchNormNormalize(n, l.c, l.inner, x, st, xh); err != nil {
		return nil, nil, err
	}
	if !o.Compress {
		l.xhat = xh
		return l, y, nil
	}
	q, err := NewCodes(2, n, l.c, l.inner)
	if err == nil {
		err = b.Encode(q, xh, o.Key, stream)
	}
	l.codes = q
	return l, y, err
}

func bnBackward(b Backend, l *bnLayer, dy, gamma, dg, db []float32) ([]float32, error) {
	xh := l.xhat
	if l.codes != nil {
		xh = make([]float32, l.codes.Len())
		if err := b.Decode(l.codes, xh); err != nil {
			return nil, err
		}
	}
	dx := make([]float32, len(dy))
	return dx, b.BatchNormBackward(l.n, l.c, l.inner, dy, xh, gamma, l.st, dx, dg, db)
}
