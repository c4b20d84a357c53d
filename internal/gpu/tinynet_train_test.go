package gpu

import "fmt"

// TrainStep runs one forward pass, backward pass and SGD update of t on the
// batch x [N,3,8,8] with labels, through b. It returns the loss.
func TrainStep(b Backend, t *TinyNet, x []float32, labels []int32, o StepOptions) (float32, error) {
	n := len(labels)
	if n == 0 || len(x) != n*3*tinyHW*tinyHW {
		return 0, fmt.Errorf("gpu: tiny step wants x of %d·3·8·8 values, got %d", n, len(x))
	}
	f, err := tinyForward(b, t, x, n, o)
	if err != nil {
		return 0, err
	}
	loss, _, err := b.SoftmaxCrossEntropy(n, tinyK, f.logits, labels, 1, f.dlogits)
	if err != nil {
		return 0, err
	}
	grads, err := tinyBackward(b, t, f, n)
	if err != nil {
		return 0, err
	}
	for i, p := range t.params() {
		wd := float32(0)
		if i < 2 || i == 6 {
			wd = 5e-4
		}
		if err := b.SGDUpdate(p, grads[i], t.mom[i], o.LR, wd, 0.9, false); err != nil {
			return 0, err
		}
	}
	return loss, nil
}

// tinyFwd is the state a forward pass keeps for the backward pass.
type tinyFwd struct {
	c1, c2          *convLayer
	bn1, bn2        *bnLayer
	m1, m2          []uint64 // ReLU masks
	pool            PoolGeom
	arg             []uint8
	feats           []float32 // [N, 9] with a ones column
	logits, dlogits []float32
}

func tinyForward(b Backend, t *TinyNet, x []float32, n int, o StepOptions) (*tinyFwd, error) {
	f := &tinyFwd{pool: PoolGeom{Planes: n * tinyC, H: tinyHW, W: tinyHW, OH: 4, OW: 4, KH: 3, KW: 3,
		StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1}}
	var y, z []float32
	var err error
	if f.c1, y, err = convForward(b, tinyGeom(n, 3), t.W1, x, o, 1); err != nil {
		return nil, err
	}
	if f.bn1, z, err = bnForward(b, n, y, t.G1, t.B1, o, 2); err != nil {
		return nil, err
	}
	a1 := make([]float32, len(z))
	if f.m1, err = reluWithMask(b, z, a1); err != nil {
		return nil, err
	}
	if f.c2, y, err = convForward(b, tinyGeom(n, tinyC), t.W2, a1, o, 3); err != nil {
		return nil, err
	}
	if f.bn2, z, err = bnForward(b, n, y, t.G2, t.B2, o, 4); err != nil {
		return nil, err
	}
	if err := b.Add(z, a1, z); err != nil {
		return nil, err
	}
	a2 := make([]float32, len(z))
	if f.m2, err = reluWithMask(b, z, a2); err != nil {
		return nil, err
	}
	pooled := make([]float32, n*tinyC*16)
	f.arg = make([]uint8, len(pooled))
	if err := b.MaxPool(f.pool, a2, pooled, f.arg); err != nil {
		return nil, err
	}
	g := make([]float32, n*tinyC)
	if err := b.GlobalAvgPool(n*tinyC, 16, pooled, g); err != nil {
		return nil, err
	}
	f.feats = make([]float32, n*(tinyC+1))
	for i := range n {
		copy(f.feats[i*(tinyC+1):], g[i*tinyC:(i+1)*tinyC])
		f.feats[i*(tinyC+1)+tinyC] = 1
	}
	f.logits, f.dlogits = make([]float32, n*tinyK), make([]float32, n*tinyK)
	return f, b.Sgemm(false, true, n, tinyK, tinyC+1, 1, f.feats, tinyC+1, t.FC, tinyC+1, 0, f.logits, tinyK)
}

func reluWithMask(b Backend, x, y []float32) ([]uint64, error) {
	m := make([]uint64, (len(x)+63)/64)
	if err := b.ReluMask(x, m); err != nil {
		return nil, err
	}
	return m, b.Relu(x, y)
}

// tinyBackward returns the gradients in the order of TinyNet.params.
func tinyBackward(b Backend, t *TinyNet, f *tinyFwd, n int) ([][]float32, error) {
	gr := make([][]float32, 7)
	for i, p := range t.params() {
		gr[i] = make([]float32, len(p))
	}
	if err := b.Sgemm(true, false, tinyK, tinyC+1, n, 1, f.dlogits, tinyK, f.feats, tinyC+1, 0, gr[6], tinyC+1); err != nil {
		return nil, err
	}
	dfeats := make([]float32, n*(tinyC+1))
	if err := b.Sgemm(false, false, n, tinyC+1, tinyK, 1, f.dlogits, tinyK, t.FC, tinyC+1, 0, dfeats, tinyC+1); err != nil {
		return nil, err
	}
	dg := make([]float32, n*tinyC)
	for i := range n {
		copy(dg[i*tinyC:(i+1)*tinyC], dfeats[i*(tinyC+1):])
	}
	dpool := make([]float32, n*tinyC*16)
	if err := b.GlobalAvgPoolBackward(n*tinyC, 16, dg, dpool); err != nil {
		return nil, err
	}
	dz := make([]float32, n*tinyC*tinyHW*tinyHW)
	if err := b.MaxPoolBackward(f.pool, dpool, f.arg, dz); err != nil {
		return nil, err
	}
	if err := b.ReluBackward(f.m2, dz, dz); err != nil {
		return nil, err
	}
	dy, err := bnBackward(b, f.bn2, dz, t.G2, gr[4], gr[5])
	if err != nil {
		return nil, err
	}
	da1, err := convBackward(b, f.c2, dy, gr[1])
	if err != nil {
		return nil, err
	}
	if err := b.Add(da1, dz, da1); err != nil { // the skip connection's gradient
		return nil, err
	}
	if err := b.ReluBackward(f.m1, da1, da1); err != nil {
		return nil, err
	}
	if dy, err = bnBackward(b, f.bn1, da1, t.G1, gr[2], gr[3]); err != nil {
		return nil, err
	}
	_, err = convBackward(b, f.c1, dy, gr[0])
	return gr, err
}

// parityStep runs three steps of TinyNet and returns its parameters and
// losses.
func parityStep(b Backend, r *prng, compress bool) ([][]float64, error) {
	n := 6
	t := NewTinyNet(r.next())
	o := StepOptions{Compress: compress, Key: r.next(), LR: 0.05}
	var losses []float32
	for range 3 {
		x := r.floats(n*3*tinyHW*tinyHW, -1, 1)
		labels := make([]int32, n)
		for i := range labels {
			labels[i] = int32(r.intn(tinyK))
		}
		loss, err := TrainStep(b, t, x, labels, o)
		if err != nil {
			return nil, err
		}
		losses = append(losses, loss)
		o.Key++
	}
	return f32s(append(t.params(), losses)...), nil
}
