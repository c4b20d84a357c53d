package gpu

import (
	"fmt"
	"math"
)

func (CPU) MaxPool(g PoolGeom, x, y []float32, arg []uint8) error {
	if err := checkPool(g, len(x), len(y), len(arg)); err != nil {
		return err
	}
	opl := g.OH * g.OW
	for j := range g.Planes * opl {
		p, oy, ox := j/opl, j%opl/g.OW, j%g.OW
		xp := x[p*g.H*g.W : (p+1)*g.H*g.W]
		best, bi := float32(math.Inf(-1)), 0
		for ky := range g.KH {
			iy := oy*g.StrideH - g.PadTop + ky
			for kx := range g.KW {
				ix := ox*g.StrideW - g.PadLeft + kx
				if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W && xp[iy*g.W+ix] > best {
					best, bi = xp[iy*g.W+ix], ky*g.KW+kx
				}
			}
		}
		y[j], arg[j] = best, uint8(bi)
	}
	return nil
}

func (CPU) MaxPoolBackward(g PoolGeom, dy []float32, arg []uint8, dx []float32) error {
	if err := checkPool(g, len(dx), len(dy), len(arg)); err != nil {
		return err
	}
	clear(dx[:g.Planes*g.H*g.W])
	opl, ipl := g.OH*g.OW, g.H*g.W
	for j := range g.Planes * opl {
		p, oy, ox, wi := j/opl, j%opl/g.OW, j%g.OW, int(arg[j])
		iy, ix := oy*g.StrideH-g.PadTop+wi/g.KW, ox*g.StrideW-g.PadLeft+wi%g.KW
		dx[p*ipl+iy*g.W+ix] += dy[j]
	}
	return nil
}

func (CPU) SoftmaxCrossEntropy(n, k int, logits []float32, labels []int32, weight float32, dlogits []float32) (float32, int, error) {
	if err := checkLoss(n, k, len(logits), labels, len(dlogits)); err != nil {
		return 0, 0, err
	}
	coef := weight / float32(n)
	var loss float64
	hits := 0
	for r := range n {
		z, l := logits[r*k:(r+1)*k], int(labels[r])
		best := 0
		for j := range z {
			if z[j] > z[best] {
				best = j
			}
		}
		m := float64(z[best])
		var s float64
		for _, v := range z {
			s += math.Exp(float64(v) - m)
		}
		var pl float64
		for j, v := range z {
			p := float32(math.Exp(float64(v)-m) / s)
			t := float32(0)
			if j == l {
				pl, t = float64(p), 1
			}
			dlogits[r*k+j] = coef * (p - t)
		}
		loss -= math.Log(math.Max(pl, 1e-30))
		if best == l {
			hits++
		}
	}
	return float32(loss) * weight / float32(n), hits, nil
}

func (CPU) SGDUpdate(w, g, buf []float32, lr, wd, mu float32, nesterov bool) error {
	if err := checkLen("sgd", len(w), len(g), len(buf)); err != nil {
		return err
	}
	for i := range w {
		d := g[i] + float32(wd*w[i])
		b := float32(mu*buf[i]) + d
		buf[i] = b
		if nesterov {
			d += float32(mu * b)
		} else {
			d = b
		}
		w[i] -= float32(lr * d)
	}
	return nil
}

func (CPU) RowAbsMean(rows, cols int, w, scale []float32) error {
	if err := checkRows("row absmean", rows, cols, len(w), len(scale)); err != nil {
		return err
	}
	for r := range rows {
		var s float64
		for _, v := range w[r*cols : (r+1)*cols] {
			s += math.Abs(float64(v))
		}
		scale[r] = 0
		if cols > 0 {
			scale[r] = float32(s / float64(cols))
		}
	}
	return nil
}

func (CPU) SignScale(rows, cols int, w, scale, what []float32) error {
	if err := checkRows("sign scale", rows, cols, len(w), len(scale)); err != nil {
		return err
	}
	if err := checkLen("sign scale", rows*cols, len(what)); err != nil {
		return err
	}
	for j := range rows * cols {
		s := scale[j/cols]
		what[j] = s
		if w[j] < 0 {
			what[j] = -s
		}
	}
	return nil
}

func (CPU) PackSigns(rows, cols int, w []float32, words []uint64) error {
	if err := checkRows("pack signs", rows, cols, len(w), rows); err != nil {
		return err
	}
	if err := checkLen("pack signs", rows*((cols+63)/64), len(words)); err != nil {
		return err
	}
	packSigns(rows, cols, w, words)
	return nil
}

func (CPU) Encode(q *Codes, x []float32, key, stream uint64) error {
	if err := checkCodes(q, len(x)); err != nil {
		return err
	}
	EncodeCodes(q, x, key, stream)
	return nil
}

func (CPU) Decode(q *Codes, dst []float32) error {
	if err := checkCodes(q, len(dst)); err != nil {
		return err
	}
	DecodeCodes(q, dst)
	return nil
}

// The argument checks shared by every Backend.

func checkGemm(transA, transB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) error {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if m < 0 || n < 0 || k < 0 || lda < max(1, ac) || ldb < max(1, bc) || ldc < max(1, n) ||
		(ar > 0 && la < (ar-1)*lda+ac) || (br > 0 && lb < (br-1)*ldb+bc) || (m > 0 && lc < (m-1)*ldc+n) {
		return fmt.Errorf("gpu: sgemm m=%d n=%d k=%d lda=%d ldb=%d ldc=%d does not fit operands of %d, %d, %d", m, n, k, lda, ldb, ldc, la, lb, lc)
	}
	return nil
}

func checkConv(op string, g ConvGeom, lx, lcol int) error {
	if err := g.valid(); err != nil {
		return err
	}
	if err := checkLen(op, g.N*g.C*g.H*g.W, lx); err != nil {
		return err
	}
	return checkLen(op, g.Rows()*g.Cols(), lcol)
}

func checkBN(op string, n, c, inner int, tensors [][]float32, perChannel ...[]float32) error {
	if n < 0 || c < 1 || inner < 0 {
		return fmt.Errorf("gpu: %s: bad shape [%d, %d, %d]", op, n, c, inner)
	}
	for i, t := range tensors {
		if len(t) < n*c*inner {
			return fmt.Errorf("gpu: %s: tensor %d has %d elements, need %d", op, i, len(t), n*c*inner)
		}
	}
	for i, p := range perChannel {
		if len(p) < c {
			return fmt.Errorf("gpu: %s: per-channel operand %d has %d elements, need %d", op, i, len(p), c)
		}
	}
	return nil
}

func checkGAP(planes, hw, lx, ly int) error {
	if planes < 0 || hw < 1 {
		return fmt.Errorf("gpu: global average pool of %d planes of %d", planes, hw)
	}
	if err := checkLen("global average pool", planes*hw, lx); err != nil {
		return err
	}
	return checkLen("global average pool", planes, ly)
}

func checkPool(g PoolGeom, lx, ly, larg int) error {
	if err := g.valid(); err != nil {
		return err
	}
	if err := checkLen("max pool", g.Planes*g.H*g.W, lx); err != nil {
		return err
	}
	return checkLen("max pool", g.Planes*g.OH*g.OW, ly, larg)
}

func checkLoss(n, k, ll int, labels []int32, ld int) error {
	if n < 1 || k < 1 || len(labels) < n {
		return fmt.Errorf("gpu: cross-entropy of [%d, %d] with %d labels", n, k, len(labels))
	}
	for i, l := range labels[:n] {
		if l < 0 || int(l) >= k {
			return fmt.Errorf("gpu: label %d of sample %d is outside [0, %d)", l, i, k)
		}
	}
	return checkLen("cross-entropy", n*k, ll, ld)
}

func checkRows(op string, rows, cols, lw, lscale int) error {
	if rows < 0 || cols < 0 {
		return fmt.Errorf("gpu: %s of [%d, %d]", op, rows, cols)
	}
	if err := checkLen(op, rows*cols, lw); err != nil {
		return err
	}
	return checkLen(op, rows, lscale)
}

func checkCodes(q *Codes, l int) error {
	if q == nil || len(q.Words) < q.C*q.WordsPerChannel() || len(q.Lo) < q.C || len(q.Hi) < q.C {
		return fmt.Errorf("gpu: codes not allocated with NewCodes")
	}
	return checkLen("codes", q.Len(), l)
}
