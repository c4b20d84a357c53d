package gpu

import (
	"math"

	"github.com/bincompress/bincompress/internal/bits"
)

// CPU is the reference Backend: plain loops that define each GPU kernel
// (same formulas, same operation order where the GPU's is sequential, no
// fused multiply-add). Reductions sum in float64 in index order.
type CPU struct{}

func (CPU) Name() string { return "cpu-reference" }

func (CPU) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	if err := checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc); err != nil {
		return err
	}
	at := func(i, p int) float32 {
		if transA {
			return a[p*lda+i]
		}
		return a[i*lda+p]
	}
	bt := func(p, j int) float32 {
		if transB {
			return b[j*ldb+p]
		}
		return b[p*ldb+j]
	}
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				s += float64(at(i, p)) * float64(bt(p, j))
			}
			v := alpha * float32(s)
			if beta != 0 {
				v += beta * c[i*ldc+j]
			}
			c[i*ldc+j] = v
		}
	}
	return nil
}

func (CPU) Im2col(g ConvGeom, x, col []float32) error {
	if err := checkConv("im2col", g, len(x), len(col)); err != nil {
		return err
	}
	q, plane := g.Cols(), g.OH*g.OW
	for r := range g.Rows() {
		ci, ky, kx := r/(g.KH*g.KW), r%(g.KH*g.KW)/g.KW, r%g.KW
		for j := range q {
			b, oy, ox := j/plane, j%plane/g.OW, j%g.OW
			iy, ix := oy*g.StrideH-g.PadTop+ky*g.DilH, ox*g.StrideW-g.PadLeft+kx*g.DilW
			v := float32(0)
			if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
				v = x[((b*g.C+ci)*g.H+iy)*g.W+ix]
			}
			col[r*q+j] = v
		}
	}
	return nil
}

func (CPU) Col2im(g ConvGeom, col, dx []float32) error {
	if err := checkConv("col2im", g, len(dx), len(col)); err != nil {
		return err
	}
	q := g.Cols()
	for j := range g.N * g.C * g.H * g.W {
		ix, iy, ci, b := j%g.W, j/g.W%g.H, j/(g.W*g.H)%g.C, j/(g.W*g.H*g.C)
		var s float32
		for ky := range g.KH {
			ty := iy + g.PadTop - ky*g.DilH
			if ty < 0 || ty%g.StrideH != 0 || ty/g.StrideH >= g.OH {
				continue
			}
			for kx := range g.KW {
				tx := ix + g.PadLeft - kx*g.DilW
				if tx < 0 || tx%g.StrideW != 0 || tx/g.StrideW >= g.OW {
					continue
				}
				r := (ci*g.KH+ky)*g.KW + kx
				s += col[r*q+b*g.OH*g.OW+(ty/g.StrideH)*g.OW+tx/g.StrideW]
			}
		}
		dx[j] = s
	}
	return nil
}

func (CPU) Permute01(a, b, inner int, x, y []float32) error {
	if err := checkLen("permute01", a*b*inner, len(x), len(y)); err != nil {
		return err
	}
	for i := range a {
		for j := range b {
			copy(y[(j*a+i)*inner:(j*a+i+1)*inner], x[(i*b+j)*inner:(i*b+j+1)*inner])
		}
	}
	return nil
}

func (CPU) BatchNormTrain(n, c, inner int, x, gamma, beta, y []float32, eps float32) (BNStats, error) {
	if err := checkBN("batchnorm", n, c, inner, [][]float32{x, y}, gamma, beta); err != nil {
		return BNStats{}, err
	}
	st := BNStats{Mean: make([]float32, c), Var: make([]float32, c), InvStd: make([]float32, c)}
	for ch := range c {
		var s, ss float64
		forChannel(n, c, inner, ch, func(i int) { s += float64(x[i]) })
		mu := s / float64(n*inner)
		forChannel(n, c, inner, ch, func(i int) { d := float64(x[i]) - mu; ss += d * d })
		v := float32(ss / float64(n*inner))
		st.Mean[ch], st.Var[ch] = float32(mu), v
		st.InvStd[ch] = float32(1 / math.Sqrt(float64(v)+float64(eps)))
		a := gamma[ch] * st.InvStd[ch]
		b := beta[ch] - float32(a*st.Mean[ch])
		forChannel(n, c, inner, ch, func(i int) { y[i] = float32(a*x[i]) + b })
	}
	return st, nil
}

func (CPU) BatchNormNormalize(n, c, inner int, x []float32, st BNStats, xhat []float32) error {
	if err := checkBN("batchnorm normalize", n, c, inner, [][]float32{x, xhat}, st.Mean, st.InvStd); err != nil {
		return err
	}
	for ch := range c {
		a := st.InvStd[ch]
		b := -a * st.Mean[ch]
		forChannel(n, c, inner, ch, func(i int) { xhat[i] = float32(a*x[i]) + b })
	}
	return nil
}

func (CPU) BatchNormBackward(n, c, inner int, dy, xhat, gamma []float32, st BNStats, dx, dgamma, dbeta []float32) error {
	if err := checkBN("batchnorm backward", n, c, inner, [][]float32{dy, xhat, dx}, gamma, st.InvStd, dgamma, dbeta); err != nil {
		return err
	}
	m := float64(n * inner)
	for ch := range c {
		var sg, sgx float64
		forChannel(n, c, inner, ch, func(i int) { sg += float64(dy[i]); sgx += float64(dy[i]) * float64(xhat[i]) })
		dbeta[ch], dgamma[ch] = float32(sg), float32(sgx)
		k := gamma[ch] * st.InvStd[ch]
		mg, mgx := float32(sg/m), float32(sgx/m)
		forChannel(n, c, inner, ch, func(i int) { dx[i] = k * (dy[i] - mg - float32(xhat[i]*mgx)) })
	}
	return nil
}

func (CPU) Relu(x, y []float32) error {
	if err := checkLen("relu", len(x), len(y)); err != nil {
		return err
	}
	for i, v := range x {
		y[i] = 0
		if v > 0 {
			y[i] = v
		}
	}
	return nil
}

func (CPU) ReluMask(x []float32, mask []uint64) error {
	if err := checkLen("relu mask", (len(x)+63)/64, len(mask)); err != nil {
		return err
	}
	clear(mask[:(len(x)+63)/64])
	for i, v := range x {
		if v > 0 {
			mask[i>>6] |= 1 << (uint(i) & 63)
		}
	}
	return nil
}

func (CPU) ReluBackward(mask []uint64, dy, dx []float32) error {
	if err := checkLen("relu backward", len(dy), len(dx), 64*len(mask)); err != nil {
		return err
	}
	for i, g := range dy {
		dx[i] = 0
		if mask[i>>6]>>(uint(i)&63)&1 != 0 {
			dx[i] = g
		}
	}
	return nil
}

func (CPU) Add(a, b, y []float32) error {
	if err := checkLen("add", len(a), len(b), len(y)); err != nil {
		return err
	}
	for i := range a {
		y[i] = a[i] + b[i]
	}
	return nil
}

func (CPU) GlobalAvgPool(planes, hw int, x, y []float32) error {
	if err := checkGAP(planes, hw, len(x), len(y)); err != nil {
		return err
	}
	for p := range planes {
		var s float32
		for _, v := range x[p*hw : (p+1)*hw] {
			s += v
		}
		y[p] = s / float32(hw)
	}
	return nil
}

func (CPU) GlobalAvgPoolBackward(planes, hw int, dy, dx []float32) error {
	if err := checkGAP(planes, hw, len(dx), len(dy)); err != nil {
		return err
	}
	for j := range planes * hw {
		dx[j] = dy[j/hw] / float32(hw)
	}
	return nil
}

// forChannel calls f with every flat index of channel ch, in order.
func forChannel(n, c, inner, ch int, f func(i int)) {
	for b := range n {
		for i := (b*c + ch) * inner; i < (b*c+ch+1)*inner; i++ {
			f(i)
		}
	}
}

// packSigns is internal/bits' packing (the one convention).
func packSigns(rows, cols int, w []float32, words []uint64) { bits.PackRows(words, w, rows, cols) }
