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
	// Each value is released after its last reader, as the trainer's net
	// does, except where a live value shares its data (an in-place ReLU's
	// input, a view's source).
	h := tp.ReluInPlace(must(tp.Conv(x, ps[0], nil, pad, false)))
	for blk := range 2 {
		w1, w2, b := ps[1+blk*6], ps[2+blk*6], 3+blk*6
		u := must(tp.Conv(h, w1, nil, pad, true))
		a, _, err := tp.BatchNormRelu(u, ps[b], ps[b+1], 1e-5)
		a = must(a, err)
		tp.Release(u)
		v := must(tp.Conv(a, w2, nil, pad, blk == 1)) // block 0's keeps float: a stays saved
		tp.Release(a)
		bv := bn(v, b+2)
		tp.Release(v)
		s := must(tp.Add(bv, h))
		tp.Release(bv)
		tp.Release(h)
		if blk == 0 {
			h = tp.ReluInPlace(s)
		} else {
			h = tp.Relu(s)
			tp.Release(s)
		}
	}
	g := must(tp.GlobalAveragePool(h))
	tp.Release(h)
	gv := tp.View(g, []int{g.Shape[0], g.Shape[1]})
	logits := must(tp.Gemm(gv, ps[13], ps[14], GemmAttrs{TransB: true, Alpha: 1, Beta: 1}, false))
	tp.Release(gv) // saved by the float Gemm: stays until backward
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
		bufs.Poison()
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

// TestReleaseKeepsCodesFresh: a binary layer's input released and its
// buffer reused by the next output of the same shape must not inherit the
// first input's cached codes.
func TestReleaseKeepsCodesFresh(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	x1, x2 := randTensor(r, -1, 1, 2, 3, 5, 5), randTensor(r, -1, 1, 2, 3, 5, 5)
	w0, w := randTensor(r, -1, 1, 3, 3, 3, 3), randTensor(r, -1, 1, 3, 3, 3, 3)
	dOut := randTensor(r, -1, 1, 2, 3, 5, 5).Data
	pad := ConvAttrs{PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}
	var grads [2][]float32
	for i, bufs := range []*Buffers{nil, poisoned()} {
		wp := Param(w.Shape, append([]float32(nil), w.Data...))
		w0p := Param(w0.Shape, append([]float32(nil), w0.Data...))
		tp := &Tape{Compress: true, Key: 5, Buffers: bufs}
		conv := func(x, w *Tensor, binary bool) *Tensor {
			y, err := tp.Conv(x, w, nil, pad, binary)
			if err != nil {
				t.Fatal(err)
			}
			return y
		}
		a1 := conv(x1, w0p, false)
		y1 := conv(a1, wp, true)
		tp.Release(a1)
		a2 := conv(x2, w0p, false) // takes a1's buffer when recycling
		if bufs != nil && &a2.Data[0] != &a1.Data[0] {
			t.Fatal("the released buffer was not reused: the test checks nothing")
		}
		y2 := conv(a2, wp, true)
		s, err := tp.Add(y1, y2)
		if err != nil {
			t.Fatal(err)
		}
		if err := tp.BackwardFrom(s, dOut); err != nil {
			t.Fatal(err)
		}
		grads[i] = wp.Grad()
	}
	if !slices.Equal(grads[0], grads[1]) {
		t.Fatal("the weight gradient differs when the released buffer is reused")
	}
}

// TestSharedGradients: a residual Add hands the same gradient buffer to
// both inputs; an input whose backward writes it in place (ReLU, fused
// BN+ReLU, BN) while the other still holds it must write a copy. Each
// branch below runs its in-place op's backward before the other branch's
// conv reads the shared gradient.
func TestSharedGradients(t *testing.T) {
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
			for i, bufs := range []*Buffers{nil, poisoned()} {
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

// poisoned is a recycler that fills what it gets back with NaN.
func poisoned() *Buffers {
	b := NewBuffers()
	b.Poison()
	return b
}
