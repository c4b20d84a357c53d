package gpu

import (
	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/internal/backend"
)

// parityStep trains a small residual net for three steps through the real
// autograd tape on be, the way the trainer does (Ŵ = s·sign(W) recomputed
// each step, SGD with momentum and weight decay), and returns the
// parameters and the losses:
//
//	x [6,3,8,8] → binary conv 3×3 (8) → BN+ReLU = a1 → binary conv 3×3 (8)
//	→ BN → + a1 → ReLU = a2 → a2·GAP(a2) (an SE-like gate) → ·s (a constant
//	per-channel scale) → max pool 3×3/2 → global average pool → flatten
//	→ dense 8→10 with bias → cross-entropy
//
// The products save what the other operand's gradient needs: a2 as codes
// when compressing, the gate as a float, nothing for the scale.
func parityStep(be backend.Backend, r *prng, compress bool) ([][]float64, error) {
	const n, c, hw, k = 6, 8, 8, 10
	_, host := be.Alloc(0).(backend.Host)
	param := func(shape []int, v []float32) *autograd.Tensor {
		if host {
			return autograd.Param(shape, v)
		}
		return autograd.DeviceParam(be, shape, up(be, v))
	}
	w1, w2 := param([]int{c, 3, 3, 3}, r.floats(c*27, -0.5, 0.5)), param([]int{c, c, 3, 3}, r.floats(c*c*9, -0.2, 0.2))
	hat := func(w *autograd.Tensor) *autograd.Tensor {
		if host {
			return autograd.Alias(w, make([]float32, w.Len()))
		}
		return autograd.AliasOnDevice(w, be.Alloc(w.Len()))
	}
	h1, h2 := hat(w1), hat(w2)
	g1, b1 := param([]int{c}, r.floats(c, 0.8, 1.2)), param([]int{c}, r.floats(c, -0.1, 0.1))
	g2, b2 := param([]int{c}, r.floats(c, -1.2, -0.8)), param([]int{c}, r.floats(c, -0.1, 0.1))
	fc, fcb := param([]int{k, c}, r.floats(k*c, -0.3, 0.3)), param([]int{k}, r.floats(k, -0.1, 0.1))
	params := []*autograd.Tensor{w1, w2, g1, b1, g2, b2, fc, fcb}
	mom := make([]backend.Buffer, len(params))
	for i, p := range params {
		mom[i] = up(be, make([]float32, p.Len()))
	}
	pad := autograd.ConvAttrs{PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}
	sv := r.floats(c, 0.5, 1.5)
	scale := autograd.New([]int{1, c, 1, 1}, sv)
	if !host {
		scale = autograd.OnDevice(be, scale.Shape, up(be, sv))
	}
	var losses []float32
	key := r.next()
	for step := range 3 {
		be.Binarize(h1.Buffer(), w1.Buffer(), c, 27, false, "channel")
		be.Binarize(h2.Buffer(), w2.Buffer(), c, c*9, false, "channel")
		xv := r.floats(n*3*hw*hw, -1, 1)
		x := autograd.New([]int{n, 3, hw, hw}, xv)
		if !host {
			x = autograd.OnDevice(be, x.Shape, up(be, xv))
		}
		labels := make([]int, n)
		for i := range labels {
			labels[i] = r.intn(k)
		}
		tp := &autograd.Tape{Compress: compress, Key: key + uint64(step)}
		y, err := tp.Conv(x, h1, nil, pad, true)
		if err != nil {
			return nil, err
		}
		a1, _, err := tp.BatchNormRelu(y, g1, b1, 1e-5)
		if err != nil {
			return nil, err
		}
		if y, err = tp.Conv(a1, h2, nil, pad, true); err != nil {
			return nil, err
		}
		if y, _, err = tp.BatchNormTrain(y, g2, b2, 1e-5); err != nil {
			return nil, err
		}
		if y, err = tp.Add(y, a1); err != nil {
			return nil, err
		}
		y = tp.Relu(y)
		gate, err := tp.GlobalAveragePool(y)
		if err != nil {
			return nil, err
		}
		if y, err = tp.Mul(y, gate); err != nil {
			return nil, err
		}
		if y, err = tp.Mul(y, scale); err != nil {
			return nil, err
		}
		if y, err = tp.MaxPool(y, autograd.PoolAttrs{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}); err != nil {
			return nil, err
		}
		if y, err = tp.GlobalAveragePool(y); err != nil {
			return nil, err
		}
		y = tp.View(y, []int{n, c})
		if y, err = tp.Gemm(y, fc, fcb, autograd.GemmAttrs{Alpha: 1, Beta: 1, TransB: true}, false); err != nil {
			return nil, err
		}
		loss, _, err := tp.CrossEntropy(y, labels, 1)
		if err != nil {
			return nil, err
		}
		losses = append(losses, loss.Download()[0])
		if err := tp.Backward(loss); err != nil {
			return nil, err
		}
		for i, p := range params {
			wd := float32(0)
			if i < 2 || i == 6 {
				wd = 5e-4
			}
			be.SGD(p.Buffer(), p.GradBuffer(), mom[i], 0.05, wd, 0.9, false)
			p.ZeroGrad()
		}
		if !host {
			be.Free(x.Buffer())
		}
	}
	var out [][]float64
	for _, p := range params {
		out = append(out, f64(p.Download()))
	}
	return append(out, f64(losses)), nil
}
