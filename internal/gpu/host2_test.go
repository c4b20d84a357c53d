package gpu

func (h Host) MaxPool(g PoolGeom, x, y []float32, arg []uint8) error {
	if err := checkPool(g, len(x), len(y), len(arg)); err != nil {
		return err
	}
	no := g.Planes * g.OH * g.OW
	f := h.frame()
	dx, dy, da := f.in(x[:g.Planes*g.H*g.W]), f.out(y[:no]), f.out(arg[:no])
	f.do(func() error { return h.D.MaxPoolDev(g, dx, dy, da) })
	f.get(y[:no], dy)
	f.get(arg[:no], da)
	return f.done()
}

func (h Host) MaxPoolBackward(g PoolGeom, dy []float32, arg []uint8, dx []float32) error {
	if err := checkPool(g, len(dx), len(dy), len(arg)); err != nil {
		return err
	}
	no, ni := g.Planes*g.OH*g.OW, g.Planes*g.H*g.W
	f := h.frame()
	ddy, da, ddx := f.in(dy[:no]), f.in(arg[:no]), f.out(dx[:ni])
	f.do(func() error { return h.D.MaxPoolBackwardDev(g, ddy, da, ddx) })
	f.get(dx[:ni], ddx)
	return f.done()
}

func (h Host) SoftmaxCrossEntropy(n, k int, logits []float32, labels []int32, weight float32, dlogits []float32) (float32, int, error) {
	if err := checkLoss(n, k, len(logits), labels, len(dlogits)); err != nil {
		return 0, 0, err
	}
	rows, hits := make([]float64, n), make([]int32, n)
	f := h.frame()
	dl, dlab, dd := f.in(logits[:n*k]), f.in(labels[:n]), f.out(dlogits[:n*k])
	dr, dh := f.out(rows), f.out(hits)
	f.do(func() error { return h.D.SoftmaxXentDev(dl, dlab, dd, dr, dh, n, k, weight/float32(n)) })
	f.get(dlogits[:n*k], dd)
	f.get(rows, dr)
	f.get(hits, dh)
	if err := f.done(); err != nil {
		return 0, 0, err
	}
	var loss float64
	hit := 0
	for i := range rows {
		loss += rows[i]
		hit += int(hits[i])
	}
	return float32(loss) * weight / float32(n), hit, nil
}

func (h Host) SGDUpdate(w, g, buf []float32, lr, wd, mu float32, nesterov bool) error {
	if err := checkLen("sgd", len(w), len(g), len(buf)); err != nil {
		return err
	}
	n := len(w)
	f := h.frame()
	dw, dg, db := f.in(w), f.in(g[:n]), f.in(buf[:n])
	f.do(func() error { return h.D.SGDDev(dw, dg, db, n, lr, wd, mu, nesterov) })
	f.get(w, dw)
	f.get(buf[:n], db)
	return f.done()
}

func (h Host) RowAbsMean(rows, cols int, w, scale []float32) error {
	if err := checkRows("row absmean", rows, cols, len(w), len(scale)); err != nil {
		return err
	}
	return h.unary(w[:rows*cols], scale[:rows], func(a, b Buffer) error { return h.D.RowAbsMeanDev(a, b, rows, cols) })
}

func (h Host) SignScale(rows, cols int, w, scale, what []float32) error {
	if err := checkRows("sign scale", rows, cols, len(w), len(scale)); err != nil {
		return err
	}
	if err := checkLen("sign scale", rows*cols, len(what)); err != nil {
		return err
	}
	f := h.frame()
	dw, ds, dh := f.in(w[:rows*cols]), f.in(scale[:rows]), f.out(what[:rows*cols])
	f.do(func() error { return h.D.SignScaleDev(dw, dh, ds, rows, cols) })
	f.get(what[:rows*cols], dh)
	return f.done()
}

func (h Host) PackSigns(rows, cols int, w []float32, words []uint64) error {
	if err := checkRows("pack signs", rows, cols, len(w), rows); err != nil {
		return err
	}
	nw := rows * ((cols + 63) / 64)
	if err := checkLen("pack signs", nw, len(words)); err != nil {
		return err
	}
	return h.unary(w[:rows*cols], words[:nw], func(a, b Buffer) error { return h.D.PackSignsDev(a, b, rows, cols) })
}

func (h Host) Encode(q *Codes, x []float32, key, stream uint64) error {
	if err := checkCodes(q, len(x)); err != nil {
		return err
	}
	dq, err := h.D.AllocCodes(q.Bits, q.N, q.C, q.Inner)
	if err != nil {
		return err
	}
	defer h.D.FreeCodes(dq)
	f := h.frame()
	dx := f.in(x[:q.Len()])
	f.do(func() error { return h.D.EncodeDev(dq, dx, key, stream) })
	f.get(q.Words[:q.C*q.WordsPerChannel()], dq.Words)
	f.get(q.Lo[:q.C], dq.Lo)
	f.get(q.Hi[:q.C], dq.Hi)
	return f.done()
}

func (h Host) Decode(q *Codes, dst []float32) error {
	if err := checkCodes(q, len(dst)); err != nil {
		return err
	}
	f := h.frame()
	dq := DevCodes{Bits: q.Bits, N: q.N, C: q.C, Inner: q.Inner,
		Words: f.in(q.Words[:q.C*q.WordsPerChannel()]), Lo: f.in(q.Lo[:q.C]), Hi: f.in(q.Hi[:q.C])}
	dd := f.out(dst[:q.Len()])
	f.do(func() error { return h.D.DecodeDev(dq, dd) })
	f.get(dst[:q.Len()], dd)
	return f.done()
}
