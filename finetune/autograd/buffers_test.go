package autograd

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// residualNet is a small ResNet block stack over the ops the trainer uses
// (conv, BN, fused BN+ReLU, residual add, in-place and separate ReLU, a
// reshape, global pooling, a dense layer and the loss), on one tape.
func residualNet(t *testing.T, tp *Tape, x *Tensor, ps []*Tensor, labels []int) float32 {
	t.Helper()
	must := func(v *Tensor, err error) *Tensor {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	pad := ConvAttrs{PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}
	bn := func(v *Tensor, i int) *Tensor {
		y, _, err := tp.BatchNormTrain(v, ps[i], ps[i+1], 1e-5)
		return must(y, err)
	}
	h := tp.ReluInPlace(must(tp.Conv(x, ps[0], nil, pad, false)))
	for blk := range 2 {
		w1, w2, b := ps[1+blk*6], ps[2+blk*6], 3+blk*6
		a, _, err := tp.BatchNormRelu(must(tp.Conv(h, w1, nil, pad, true)), ps[b], ps[b+1], 1e-5)
		a = must(a, err)
		s := must(tp.Add(bn(must(tp.Conv(a, w2, nil, pad, true)), b+2), h))
		if blk == 0 {
			h = tp.ReluInPlace(s)
		} else {
			h = tp.Relu(s)
		}
	}
	g := must(tp.GlobalAveragePool(h))
	logits := must(tp.Gemm(tp.View(g, []int{g.Shape[0], g.Shape[1]}), ps[13], ps[14], GemmAttrs{TransB: true, Alpha: 1, Beta: 1}, false))
	loss, _, err := tp.CrossEntropy(logits, labels, 1)
	loss = must(loss, err)
	v := loss.Data[0]
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestBuffersRecycle: training passes on a tape with Buffers give the same
// loss and parameter gradients, bit for bit, as passes without, on exact
// and compressing tapes, while every buffer given back is overwritten with
// NaN (so an op that reads a buffer after giving it back, or leaves part of
// one it takes unwritten, shows).
func TestBuffersRecycle(t *testing.T) {
	poisonRecycled = true
	defer func() { poisonRecycled = false }()
	r := rand.New(rand.NewPCG(21, 22))
	const n, c, hw, classes = 4, 3, 6, 5
	x := randTensor(r, -1, 1, n, c, hw, hw)
	shapes := [][]int{{c, c, 3, 3}}
	for range 2 {
		shapes = append(shapes, []int{c, c, 3, 3}, []int{c, c, 3, 3}, []int{c}, []int{c}, []int{c}, []int{c})
	}
	shapes = append(shapes, []int{classes, c}, []int{classes})
	labels := []int{0, 3, 4, 1}
	for _, compress := range []bool{false, true} {
		var sets [2][]*Tensor
		for i := range sets {
			r := rand.New(rand.NewPCG(23, 24))
			for _, s := range shapes {
				p := randTensor(r, -0.5, 1, s...)
				sets[i] = append(sets[i], Param(p.Shape, p.Data))
			}
		}
		bufs := NewBuffers()
		for step := range 3 {
			var losses [2]float32
			for i, ps := range sets {
				tp := &Tape{Compress: compress, Key: uint64(step + 1)}
				if i == 1 {
					tp.Buffers = bufs
				}
				for _, p := range ps {
					p.ZeroGrad()
				}
				losses[i] = residualNet(t, tp, x, ps, labels)
			}
			if len(bufs.lent) != 0 {
				t.Fatalf("compress=%v step %d: %d buffers still lent after Backward", compress, step, len(bufs.lent))
			}
			if losses[0] != losses[1] {
				t.Fatalf("compress=%v step %d: loss %v with Buffers, %v without", compress, step, losses[1], losses[0])
			}
			for k := range sets[0] {
				if !slices.Equal(sets[0][k].Grad(), sets[1][k].Grad()) {
					t.Fatalf("compress=%v step %d: parameter %d's gradient differs with Buffers", compress, step, k)
				}
			}
		}
		if len(bufs.free) == 0 {
			t.Fatalf("compress=%v: nothing was recycled", compress)
		}
		// A pass that ends in Reset instead of Backward gives its buffers back too.
		tp := &Tape{Compress: compress, Key: 9, Buffers: bufs}
		y, err := tp.Conv(x, sets[1][0], nil, ConvAttrs{PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}, false)
		if err != nil {
			t.Fatal(err)
		}
		tp.Relu(y)
		tp.Reset()
		if len(bufs.lent) != 0 {
			t.Fatalf("compress=%v: %d buffers still lent after Reset", compress, len(bufs.lent))
		}
	}
}

// TestSharedGradients: a residual Add hands the same gradient buffer to
// both inputs; an input whose backward writes it in place (ReLU, fused
// BN+ReLU, BN) while the other still holds it must write a copy. Each
// branch below runs its in-place op's backward before the other branch's
// conv reads the shared gradient.
func TestSharedGradients(t *testing.T) {
	poisonRecycled = true
	defer func() { poisonRecycled = false }()
	r := rand.New(rand.NewPCG(25, 26))
	x1, x2 := randTensor(r, -1, 1, 2, 3, 5, 5), randTensor(r, -1, 1, 2, 3, 5, 5)
	w := randTensor(r, -1, 1, 3, 3, 3, 3)
	gamma, beta := randTensor(r, 0.5, 1.5, 3), randTensor(r, -0.5, 0.5, 3)
	dOut := randTensor(r, -1, 1, 2, 3, 5, 5).Data
	pad := ConvAttrs{PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}
	branches := map[string]func(tp *Tape, x *Tensor, g, b *Tensor) (*Tensor, error){
		"relu": func(tp *Tape, x, _, _ *Tensor) (*Tensor, error) { return tp.Relu(x), nil },
		"bn": func(tp *Tape, x, g, b *Tensor) (*Tensor, error) {
			y, _, err := tp.BatchNormTrain(x, g, b, 1e-5)
			return y, err
		},
		"bnrelu": func(tp *Tape, x, g, b *Tensor) (*Tensor, error) {
			y, _, err := tp.BatchNormRelu(x, g, b, 1e-5)
			return y, err
		},
	}
	for name, branch := range branches {
		for _, compress := range []bool{false, true} {
			var grads [2][][]float32
			for i, bufs := range []*Buffers{nil, NewBuffers()} {
				tp := &Tape{Compress: compress, Key: 3, Buffers: bufs}
				ps := []*Tensor{Param(x1.Shape, x1.Data), Param(x2.Shape, x2.Data), Param(w.Shape, w.Data),
					Param(gamma.Shape, gamma.Data), Param(beta.Shape, beta.Data)}
				b, err := tp.Conv(ps[1], ps[2], nil, pad, false)
				if err != nil {
					t.Fatal(err)
				}
				a, err := branch(tp, ps[0], ps[3], ps[4])
				if err != nil {
					t.Fatal(err)
				}
				y, err := tp.Add(a, b)
				if err != nil {
					t.Fatal(err)
				}
				if err := tp.BackwardFrom(y, dOut); err != nil {
					t.Fatal(err)
				}
				for _, p := range ps {
					grads[i] = append(grads[i], p.Grad())
				}
			}
			for k := range grads[0] {
				if !slices.Equal(grads[0][k], grads[1][k]) {
					t.Fatalf("%s, compress=%v: gradient %d differs with Buffers", name, compress, k)
				}
			}
		}
	}
}
