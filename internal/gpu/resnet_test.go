package gpu

import "fmt"

// Net is a residual network trained on the device with the *Dev ops, every
// tensor resident in device memory: the GPU-side training step the device
// benchmark times (ResNet20, ResNet18) and the pattern a trainer follows
// (docs/GPU.md, "Trainer hook"). Forward outputs are reference counted and
// go back to the pool as soon as neither a later layer nor a backward pass
// needs them, so peak memory reflects what each mode saves for backward.
//
// TODO(finetune hook): the trainer does not call this yet. It needs a
// builder from a binarized ir.Model (layers in topological order over named
// tensors) and BN running statistics, distillation and checkpoints on the
// device; docs/GPU.md, "Trainer hook", lists the calls and what is missing.
type Net struct {
	d        *Device
	layers   []layer
	params   []*param
	compress bool
	key      uint64
	streams  int   // stochastic code streams handed out, one per layer
	saved    int64 // bytes held for backward at the end of the last forward
}

// dtensor is an NCHW device tensor whose buffer is shared by reference.
type dtensor struct {
	b          *dbuf
	n, c, h, w int
}

type dbuf struct {
	buf  Buffer
	refs int
}

func (t dtensor) len() int      { return t.n * t.c * t.h * t.w }
func (t dtensor) bytes() uint64 { return 4 * uint64(t.len()) }

// param is a trainable tensor with its gradient and momentum.
type param struct {
	w, g, mom Buffer
	n         int
	decay     bool
}

// layer is one differentiable op on device tensors. forward does not
// release x; it retains what it saves. backward releases what was saved and
// returns a new gradient reference (the caller releases dy).
type layer interface {
	forward(x dtensor) (dtensor, error)
	backward(dy dtensor) (dtensor, error)
	// saved adds what the layer holds for backward to m, keyed by storage
	// so that a buffer two layers keep counts once.
	saved(m savedSet)
}

// savedSet maps a saved buffer's identity to its bytes.
type savedSet map[any]int64

// nextStream numbers a layer's stochastic codes.
func (nt *Net) nextStream() int { nt.streams++; return nt.streams }

func (nt *Net) newTensor(n, c, h, w int) (dtensor, error) {
	t := dtensor{n: n, c: c, h: h, w: w}
	b, err := nt.d.Alloc(t.bytes())
	t.b = &dbuf{buf: b, refs: 1}
	return t, err
}

func (nt *Net) retain(t dtensor) dtensor { t.b.refs++; return t }

func (nt *Net) release(t dtensor) {
	if t.b == nil {
		return
	}
	if t.b.refs--; t.b.refs == 0 {
		nt.d.Free(t.b.buf)
	}
}

// newParam allocates a parameter with values from r (uniform ±scale, or
// the constant fill when scale is 0).
func (nt *Net) newParam(n int, r *prng, scale, fill float32, decay bool) (*param, error) {
	p := &param{n: n, decay: decay}
	var err error
	for _, b := range []*Buffer{&p.w, &p.g, &p.mom} {
		if *b, err = nt.d.Alloc(4 * uint64(n)); err != nil {
			return nil, err
		}
	}
	v := r.floats(n, -scale, scale)
	for i := range v {
		v[i] += fill
	}
	if err := nt.d.Upload(p.w, v); err != nil {
		return nil, err
	}
	if err := nt.d.Zero(p.mom, 4*uint64(n)); err != nil {
		return nil, err
	}
	nt.params = append(nt.params, p)
	return p, nil
}

// StepResult is what one training step reports.
type StepResult struct {
	Loss       float32 // only when asked for (it synchronizes)
	SavedBytes int64   // held for backward at the end of the forward pass
}

// Step runs forward, loss, backward and SGD (momentum 0.9, weight decay
// 5e-4 on conv and dense weights) on the batch x [N, C, H, W] with int32
// labels, both already on the device. With wantLoss it downloads the loss
// (a synchronization point); otherwise the work stays queued.
func (nt *Net) Step(x, labels Buffer, n, c, h, w int, lr float32, wantLoss bool) (StepResult, error) {
	nt.key++
	in := dtensor{b: &dbuf{buf: x, refs: 2}, n: n, c: c, h: h, w: w} // never freed here
	cur := in
	var err error
	for _, l := range nt.layers {
		next, ferr := l.forward(cur)
		nt.release(cur)
		if ferr != nil {
			return StepResult{}, ferr
		}
		cur = next
	}
	res := StepResult{SavedBytes: nt.savedTotal()}
	logits := cur
	dl, err := nt.loss(logits, labels, wantLoss, &res)
	nt.release(logits)
	if err != nil {
		return res, err
	}
	for i := len(nt.layers) - 1; i >= 0; i-- {
		next, berr := nt.layers[i].backward(dl)
		nt.release(dl)
		if berr != nil {
			return res, berr
		}
		dl = next
	}
	nt.release(dl)
	for _, p := range nt.params {
		wd := float32(0)
		if p.decay {
			wd = 5e-4
		}
		if err := nt.d.SGDDev(p.w, p.g, p.mom, p.n, lr, wd, 0.9, false); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (nt *Net) savedTotal() int64 {
	m := savedSet{}
	for _, l := range nt.layers {
		l.saved(m)
	}
	var s int64
	for _, b := range m {
		s += b
	}
	return s
}

// loss writes the cross-entropy gradient of logits [N, K] into a new tensor.
func (nt *Net) loss(logits dtensor, labels Buffer, want bool, res *StepResult) (dtensor, error) {
	n, k := logits.n, logits.c
	dl, err := nt.newTensor(n, k, 1, 1)
	if err != nil {
		return dl, err
	}
	rows, err := nt.d.Alloc(8 * uint64(n))
	if err != nil {
		return dl, err
	}
	defer nt.d.Free(rows)
	hits, err := nt.d.Alloc(4 * uint64(n))
	if err != nil {
		return dl, err
	}
	defer nt.d.Free(hits)
	if err := nt.d.SoftmaxXentDev(logits.b.buf, labels, dl.b.buf, rows, hits, n, k, 1/float32(n)); err != nil {
		return dl, err
	}
	if want {
		rl := make([]float64, n)
		if err := nt.d.Download(rl, rows); err != nil {
			return dl, err
		}
		var s float64
		for _, v := range rl {
			s += v
		}
		res.Loss = float32(s / float64(n))
	}
	return dl, nil
}

// Close frees the parameters (buffers still in the pool stay cached).
func (nt *Net) Close() {
	for _, p := range nt.params {
		for _, b := range []Buffer{p.w, p.g, p.mom} {
			nt.d.Free(b)
		}
	}
	for _, l := range nt.layers {
		if c, ok := l.(interface{ close() }); ok {
			c.close()
		}
	}
	nt.params, nt.layers = nil, nil
}

func shapeErr(what string, t dtensor, want ...int) error {
	return fmt.Errorf("gpu: %s: input [%d %d %d %d], want channels/size %v", what, t.n, t.c, t.h, t.w, want)
}

// NumParams is the number of trainable values (weights, biases, BN γ and β).
func (nt *Net) NumParams() int {
	s := 0
	for _, p := range nt.params {
		s += p.n
	}
	return s
}
