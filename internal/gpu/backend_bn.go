package gpu

import "github.com/bincompress/bincompress/internal/backend"

// Batch normalization (cuda/bn.cu): statistics as the CPU takes them (16
// float64 lanes per plane or per channel, folded in a fixed tree), the
// affine output (with the fused ReLU), and what a compressing tape keeps.

const lanes = 16

// stats writes mean, variance and 1/σ of x [n, c, inner]: per plane and
// combined after a convolution (fromConv), else per channel, as the CPU.
func (b *Backend) stats(a backend.BN, x Buffer, st backend.BNStats, fromConv bool) {
	n, c, inner := a.N, a.C, a.Inner
	groups := c
	if fromConv {
		groups = n * c
	}
	part, sums := b.scratch(8*2*lanes*uint64(groups)), b.scratch(8*2*uint64(groups))
	defer b.drop(part, sums)
	if fromConv {
		b.run("plane_lanes", groups*lanes, x, part, i64(groups), i64(inner))
	} else {
		b.run("chan_lanes", c*lanes, x, part, i32(n), i32(c), i64(inner))
	}
	b.run("fold_lanes", groups, part, sums, i64(groups))
	name := "chan_stats"
	if fromConv {
		name = "combine_planes"
	}
	b.run(name, c, sums, x, arr(st.Mean), arr(st.Var), arr(st.InvStd), i32(n), i32(c), i64(inner), a.Eps)
}

func (b *Backend) BatchNorm(a backend.BN, x, gamma, beta, y backend.Buffer, moments backend.Moments) (backend.BNStats, backend.Saved) {
	st := backend.BNStats{Mean: b.Alloc(a.C), Var: b.Alloc(a.C), InvStd: b.Alloc(a.C)}
	_, fromConv := moments.(convMoments)
	b.stats(a, arr(x), st, fromConv)
	n, c, inner := a.N, a.C, a.Inner
	b.run("bn_apply", n*c*inner, arr(x), arr(y), arr(st.Mean), arr(st.InvStd), arr(gamma), arr(beta),
		i32(n), i32(c), i64(inner), flag(a.Relu))
	switch a.Save {
	case backend.SaveCodes: // x̂ written out, then encoded as any input
		xh := b.scratch(4 * uint64(n*c*inner))
		defer b.drop(xh)
		b.run("bn_normalize", n*c*inner, arr(x), xh, arr(st.Mean), arr(st.InvStd), i32(n), i32(c), i64(inner))
		return st, b.encode(xh, n, c, inner, a.Bits, a.Key, a.Stream)
	case backend.SaveReluCodes:
		return st, b.encodeRelu(a, arr(x), arr(y), st, arr(gamma), arr(beta))
	}
	return st, nil
}

func (b *Backend) BatchNormBackward(a backend.BN, g backend.BNGrad) {
	n, c, inner := a.N, a.C, a.Inner
	x, raw := arr(g.X), true
	switch q := g.Codes.(type) {
	case *Codes:
		x, raw = arr(g.Scratch), false
		b.decodeInto(q, x)
	case *ReluCode: // x̂ decoded and g masked by the code's bit 0
		x, raw = arr(g.Scratch), false
		b.run("bnrelu_decode", n*c*inner, q.words, q.lo, q.hi, q.t, q.gamma, x, arr(g.G), i32(q.bits), i32(n), i32(c), i64(inner))
	}
	if g.ReluOut != nil {
		b.run("zero_outside", n*c*inner, arr(g.G), arr(g.ReluOut), float32(0), float32(3.4028234663852886e38), i64(n*c*inner))
	}
	part, sums, kbc := b.scratch(8*2*lanes*uint64(n*c)), b.scratch(8*2*uint64(n*c)), b.scratch(4*3*uint64(c))
	defer b.drop(part, sums, kbc)
	mean := arr(g.Mean)
	if !raw {
		mean = Buffer{} // x̂ has mean 0 already
	}
	b.run("grad_lanes", n*c*lanes, arr(g.G), x, mean, part, i32(n), i32(c), i64(inner))
	b.run("fold_lanes", n*c, part, sums, i64(n*c))
	b.run("bn_grad_coef", c, sums, arr(g.Gamma), arr(g.Mean), arr(g.InvStd), flag(raw), arr(g.DGamma), arr(g.DBeta),
		kbc, i32(n), i32(c), i64(inner))
	if g.DX != nil {
		b.run("bn_grad_dx", n*c*inner, arr(g.DX), arr(g.G), x, kbc, i32(n), i32(c), i64(inner))
	}
}

func (b *Backend) BatchNormEval(n, c, inner int, x, gamma, beta, mean, variance, y backend.Buffer, eps float32) {
	b.run("bn_eval", n*c*inner, arr(x), arr(y), arr(gamma), arr(beta), arr(mean), arr(variance), i32(n), i32(c), i64(inner), eps)
}

func (b *Backend) RunningUpdate(run, batch backend.Buffer, momentum float32) {
	b.run("running_update", run.Len(), arr(run), arr(batch), momentum, i64(run.Len()))
}

// ---- stochastic codes (cuda/binary.cu, cuda/bn.cu)

// Codes are a tensor [N, C, inner] in Bits bits per element with
// per-channel ranges, in device memory (the layout of autograd's Codes).
type Codes struct {
	words, lo, hi     Buffer
	bits, n, c, inner int
}

func (q *Codes) wordsPerChannel() int { return (q.n*q.inner*q.bits + 63) / 64 }

// Bytes is the memory the codes hold: words and ranges.
func (q *Codes) Bytes() int64 { return 8*int64(q.c*q.wordsPerChannel()) + 8*int64(q.c) }

// ReluCode is the fused BN+ReLU code (autograd's bnReluCode): per channel
// the x̂ range [lo, hi] and the ReLU threshold t, and it reads γ and β.
type ReluCode struct {
	Codes
	t, gamma, beta Buffer
}

// Bytes counts the words and lo, t, hi per channel.
func (q *ReluCode) Bytes() int64 { return 8*int64(q.c*q.wordsPerChannel()) + 12*int64(q.c) }

// reluInput is a ReluCode seen as the ReLU's output.
type reluInput struct{ q *ReluCode }

func (r reluInput) Bytes() int64 { return r.q.Bytes() }

// Key is the code's identity: the input view and the code are one storage.
func (r reluInput) Key() any { return r.q }

func (b *Backend) newCodes(n, c, inner, bits int) Codes {
	q := Codes{bits: bits, n: n, c: c, inner: inner}
	q.words = b.scratch(8 * uint64(c*q.wordsPerChannel()))
	q.lo, q.hi = b.scratch(4*uint64(c)), b.scratch(4*uint64(c))
	return q
}

// minmax writes each channel's least and greatest non-NaN value ([0, 0]
// when there is none), reduced in slices (cuda/reduce.cu).
func (b *Backend) minmax(x, lo, hi Buffer, n, c, inner int) {
	s := max(1, min(maxSlices, n*inner/sliceLen))
	plo, phi := b.scratch(4*uint64(c*s)), b.scratch(4*uint64(c*s))
	defer b.drop(plo, phi)
	if b.ok() && c > 0 {
		b.fail(b.d.runBlocks("minmax_part", c*s, reduceBlock, x, plo, phi, i32(n), i32(c), i64(inner), i32(s)))
	}
	b.run("minmax_final", c, plo, phi, lo, hi, i32(c), i32(s))
}

// Slices of the range reduction: sliceLen or more values per block, at
// most maxSlices blocks per channel.
const (
	sliceLen  = 4096
	maxSlices = 128
)

// encode saves x in bits bits per element with per-channel ranges.
func (b *Backend) encode(x Buffer, n, c, inner, bits int, key, stream uint64) *Codes {
	q := b.newCodes(n, c, inner, bits)
	b.minmax(x, q.lo, q.hi, n, c, inner)
	b.run("encode_codes", c*q.wordsPerChannel(), x, q.lo, q.hi, q.words, i32(bits), i32(n), i32(c), i64(inner), key, stream)
	return &q
}

// encodeRelu writes the fused code from BN's input x, its rectified
// output y, the statistics, γ and β.
func (b *Backend) encodeRelu(a backend.BN, x, y Buffer, st backend.BNStats, gamma, beta Buffer) *ReluCode {
	n, c, inner := a.N, a.C, a.Inner
	q := &ReluCode{Codes: b.newCodes(n, c, inner, a.Bits), t: b.scratch(4 * uint64(c)), gamma: gamma, beta: beta}
	rlo, rhi, coef := b.scratch(4*uint64(c)), b.scratch(4*uint64(c)), b.scratch(16*uint64(c))
	defer b.drop(rlo, rhi, coef)
	b.minmax(x, rlo, rhi, n, c, inner)
	b.run("bnrelu_prep", c, rlo, rhi, arr(st.Mean), arr(st.InvStd), gamma, beta, q.lo, q.hi, q.t, coef, i32(c), i32(a.Bits))
	b.run("bnrelu_encode", c*q.wordsPerChannel(), x, y, coef, q.words, i32(a.Bits), i32(n), i32(c), i64(inner), a.Key, a.Stream)
	return q
}

func (b *Backend) EncodeInput(x backend.Buffer, n, c, inner, bits int, key, stream uint64) backend.Saved {
	return b.encode(arr(x), n, c, inner, bits, key, stream)
}

func (b *Backend) ReluInput(code backend.Saved) backend.Saved { return reluInput{code.(*ReluCode)} }

func (b *Backend) DecodeInput(q backend.Saved, dst backend.Buffer) { b.decodeInto(q, arr(dst)) }

// decodeInto writes the decoded values of plain codes, or of a fused
// code's ReLU output.
func (b *Backend) decodeInto(s backend.Saved, dst Buffer) {
	switch q := s.(type) {
	case *Codes:
		b.run("decode_codes", q.n*q.c*q.inner, q.words, q.lo, q.hi, dst, i32(q.bits), i32(q.n), i32(q.c), i64(q.inner))
	case reluInput:
		r := q.q
		b.run("relu_input_decode", r.n*r.c*r.inner, r.words, r.lo, r.hi, r.t, r.gamma, r.beta, dst, i32(r.bits),
			i32(r.n), i32(r.c), i64(r.inner))
	}
}
