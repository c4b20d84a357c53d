package gpu

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/internal/backend"
)

// The shapes are small and odd on purpose: sizes that are not multiples of
// 64, a warp or a block; strides, dilations and padding that leave partial
// windows; channels long enough to need several reduction blocks.

var parityConvs = []backend.Conv{
	{N: 3, C: 5, H: 9, W: 7, K: 4, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 1},
	{N: 2, C: 3, H: 8, W: 8, K: 6, KH: 1, KW: 1, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1, Groups: 1},
	{N: 1, C: 2, H: 7, W: 9, K: 3, KH: 3, KW: 2, StrideH: 1, StrideW: 3, DilationH: 2, DilationW: 1, PadTop: 2, PadLeft: 1, PadBottom: 0, PadRight: 1, Groups: 1},
	{N: 2, C: 4, H: 6, W: 5, K: 6, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 2},
}

var parityPools = []backend.Pool{
	{N: 2, C: 3, H: 9, W: 11, OH: 5, OW: 6, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
	{N: 1, C: 4, H: 7, W: 7, OH: 3, OW: 3, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 0, PadLeft: 1, PadBottom: 1, PadRight: 0, CountIncludePad: true},
	{N: 3, C: 2, H: 5, W: 6, OH: 1, OW: 1, KH: 5, KW: 6, StrideH: 1, StrideW: 1}, // global
}

func parityCases() []parityCase {
	cs := []parityCase{
		{"memory", 0, parityMemory},
		{"add and combine", 0, parityCombine},
		{"relu", 0, parityRelu},
		{"masks", 0, parityMasks},
		{"clip", 0, parityClip},
		{"broadcast add", 0, func(be backend.Backend, r *prng) ([][]float64, error) { return parityBroadcast(be, r, false) }},
		{"broadcast mul", 0, func(be backend.Backend, r *prng) ([][]float64, error) { return parityBroadcast(be, r, true) }},
		{"gemm", 1e-5, parityGemm},
		{"gemm bias", 0, parityBias},
		{"channel sums", 0, paritySums},
		{"sgd", 0, paritySGD},
		{"binarize", 0, parityBinarize},
		{"softmax cross-entropy", 1e-6, parityLoss},
		{"running statistics", 0, parityRunning},
		{"train step exact", 1e-4, func(be backend.Backend, r *prng) ([][]float64, error) { return parityStep(be, r, false) }},
		// A stochastic code whose threshold falls within GEMM rounding of
		// the value can flip between backends; one flip moves a parameter
		// by about 1e-4.
		{"train step compressed", 1e-3, func(be backend.Backend, r *prng) ([][]float64, error) { return parityStep(be, r, true) }},
	}
	for i, p := range parityConvs {
		cs = append(cs, parityCase{fmt.Sprintf("conv %d", i), 1e-5, func(be backend.Backend, r *prng) ([][]float64, error) {
			return parityConv(be, r, p)
		}})
	}
	for i, p := range parityPools {
		cs = append(cs, parityCase{fmt.Sprintf("pooling %d", i), 0, func(be backend.Backend, r *prng) ([][]float64, error) {
			return parityPool(be, r, p)
		}})
	}
	for _, bits := range []int{1, 2, 4, 8} {
		cs = append(cs, parityCase{fmt.Sprintf("codes %d-bit", bits), 0, func(be backend.Backend, r *prng) ([][]float64, error) {
			return parityCodes(be, r, bits, 3, 5, 29)
		}})
	}
	// Channels of more than two reduction slices (4096 values) of unequal
	// length.
	cs = append(cs, parityCase{"codes 2-bit sliced", 0, func(be backend.Backend, r *prng) ([][]float64, error) {
		return parityCodes(be, r, 2, 2, 2, 6149)
	}})
	for _, m := range []backend.BNSave{backend.SaveInput, backend.SaveCodes, backend.SaveReluCodes} {
		for _, relu := range []bool{false, true} {
			for _, conv := range []bool{false, true} {
				if m == backend.SaveReluCodes && !relu {
					continue
				}
				name := fmt.Sprintf("batchnorm save %d relu %v after conv %v", m, relu, conv)
				cs = append(cs, parityCase{name, 0, func(be backend.Backend, r *prng) ([][]float64, error) {
					return parityBN(be, r, m, relu, conv, 3, 5, 37)
				}}, parityCase{name + " backward", 1e-5, func(be backend.Backend, r *prng) ([][]float64, error) {
					return parityBNBackward(be, r, m, relu, conv, 3, 5, 37)
				}})
			}
		}
	}
	cs = append(cs, parityCase{"batchnorm sliced", 0, func(be backend.Backend, r *prng) ([][]float64, error) {
		return parityBN(be, r, backend.SaveReluCodes, true, true, 2, 3, 6149)
	}})
	return cs
}

func parityMemory(be backend.Backend, r *prng) ([][]float64, error) {
	x := up(be, r.floats(1000, -1, 1))
	y := be.Alloc(1000)
	be.Copy(y, x)
	z := be.Alloc(77)
	be.Fill(z, 0.25)
	return [][]float64{down(be, y), down(be, z)}, nil
}

func parityCombine(be backend.Backend, r *prng) ([][]float64, error) {
	x, y := up(be, r.floats(777, -1, 1)), up(be, r.floats(777, -1, 1))
	z := be.Alloc(777)
	be.Combine(z, x, y, 1, 1, float32(math.Copysign(0, -1)))
	be.Combine(y, x, y, 0.3, -1.7, 0.125) // in place
	be.AddInto(x, z)
	return [][]float64{down(be, z), down(be, y), down(be, x)}, nil
}

// special puts NaN, ±0 and ±Inf among values.
func special(v []float32) []float32 {
	copy(v, []float32{float32(math.NaN()), 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1))})
	return v
}

func parityRelu(be backend.Backend, r *prng) ([][]float64, error) {
	x := up(be, special(r.floats(1000, -1, 1)))
	y := be.Alloc(1000)
	be.Relu(y, x)
	be.Relu(x, x) // in place
	return [][]float64{down(be, y), down(be, x)}, nil
}

func parityMasks(be backend.Backend, r *prng) ([][]float64, error) {
	x := up(be, special(r.floats(1000, -1, 1)))
	y := be.Alloc(1000)
	m1 := be.ReluMask(y, x)
	m2 := be.Mask(x, -0.5, 0.75)
	dy1, dy2 := up(be, r.floats(1000, -1, 1)), up(be, r.floats(1000, -1, 1))
	be.ZeroUnmasked(dy1, m2)
	be.ZeroOutside(dy2, x, -0.25, 0.5)
	out := [][]float64{down(be, y), codeWords(be, m1), codeWords(be, m2), down(be, dy1), down(be, dy2)}
	be.Release(m1)
	be.Release(m2)
	return out, nil
}

func parityClip(be backend.Backend, r *prng) ([][]float64, error) {
	x := up(be, special(r.floats(500, -2, 2)))
	y := be.Alloc(500)
	be.Clip(y, x, -1, 0.5)
	return [][]float64{down(be, y)}, nil
}

// bcast broadcasts shape b against a (numpy rules, as autograd).
func bcast(a, b []int) backend.Broadcast {
	r := max(len(a), len(b))
	pad := func(s []int) []int {
		p := make([]int, r)
		for i := range p {
			p[i] = 1
		}
		copy(p[r-len(s):], s)
		return p
	}
	pa, pb := pad(a), pad(b)
	g := backend.Broadcast{Shape: make([]int, r)}
	for i := range r {
		g.Shape[i] = max(pa[i], pb[i])
	}
	for k, p := range [][]int{pa, pb} {
		st, acc := make([]int, r), 1
		for i := r - 1; i >= 0; i-- {
			if p[i] != 1 || g.Shape[i] == 1 {
				st[i] = acc
			}
			acc *= p[i]
		}
		g.Strides[k] = st
	}
	return g
}

func prod(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func parityBroadcast(be backend.Backend, r *prng, mul bool) ([][]float64, error) {
	var out [][]float64
	for _, s := range [][2][]int{{{2, 3, 4, 5}, {3, 1, 5}}, {{4, 1}, {1, 6}}, {{2, 3, 1, 1}, {2, 3, 4, 4}}, {{5}, {}}} {
		g := bcast(s[0], s[1])
		a, b := up(be, r.floats(prod(s[0]), -1, 1)), up(be, r.floats(prod(s[1]), -1, 1))
		y := be.Alloc(prod(g.Shape))
		if mul {
			be.BroadcastMul(y, a, b, g)
		} else {
			be.BroadcastAdd(y, a, b, g)
		}
		dy := up(be, r.floats(prod(g.Shape), -1, 1))
		da, db := be.Alloc(a.Len()), be.Alloc(b.Len())
		be.BroadcastGrad(mul, da, db, dy, a, b, g)
		out = append(out, down(be, y), down(be, da), down(be, db))
		if mul { // one gradient, with only the operand it reads
			be.BroadcastGrad(mul, da, nil, dy, nil, b, g)
			be.BroadcastGrad(mul, nil, db, dy, a, nil, g)
			out = append(out, down(be, da), down(be, db))
		}
	}
	return out, nil
}

func parityGemm(be backend.Backend, r *prng) ([][]float64, error) {
	var out [][]float64
	for _, t := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		m, n, k := 13, 17, 29
		lda, ldb := k, n
		if t[0] {
			lda = m
		}
		if t[1] {
			ldb = k
		}
		a, b, c := up(be, r.floats(m*k, -1, 1)), up(be, r.floats(k*n, -1, 1)), up(be, r.floats(m*n, -1, 1))
		be.Gemm(t[0], t[1], m, n, k, 0.5, a, lda, b, ldb, 0.25, c, n)
		out = append(out, down(be, c))
	}
	return out, nil
}

func parityBias(be backend.Backend, r *prng) ([][]float64, error) {
	m, n := 7, 5
	var out [][]float64
	for _, s := range [][3]int{{n, 0, 1}, {m * n, n, 1}, {m, 1, 0}, {1, 0, 0}} { // C [n], [m, n], [m, 1], scalar
		y, c := up(be, r.floats(m*n, -1, 1)), up(be, r.floats(s[0], -1, 1))
		be.AddBias(y, m, n, c, s[1], s[2], 0.75)
		dc := be.Alloc(s[0])
		be.BiasGrad(dc, y, m, n, s[1], s[2], 0.75)
		out = append(out, down(be, y), down(be, dc))
	}
	return out, nil
}

func paritySums(be backend.Backend, r *prng) ([][]float64, error) {
	x, s := up(be, r.floats(3*5*37, -1, 1)), be.Alloc(5)
	be.ChannelSums(s, x, 3, 5, 37)
	return [][]float64{down(be, s)}, nil
}

func paritySGD(be backend.Backend, r *prng) ([][]float64, error) {
	var out [][]float64
	for _, nest := range []bool{false, true} {
		w, g, m := up(be, r.floats(300, -1, 1)), up(be, r.floats(300, -1, 1)), up(be, r.floats(300, -1, 1))
		be.SGD(w, g, m, 0.1, 5e-4, 0.9, nest)
		out = append(out, down(be, w), down(be, m))
	}
	return out, nil
}

func parityBinarize(be backend.Backend, r *prng) ([][]float64, error) {
	var out [][]float64
	for _, mode := range []string{"he", "channel", "layer"} {
		for _, cols := range []bool{false, true} {
			v := r.floats(6*100, -1, 1)
			v[0], v[7] = 0, float32(math.Copysign(0, -1)) // sign(±0) = +1
			w, hat := up(be, v), be.Alloc(600)
			be.Binarize(hat, w, 6, 100, cols, mode)
			out = append(out, down(be, hat))
		}
	}
	return out, nil
}

func parityLoss(be backend.Backend, r *prng) ([][]float64, error) {
	n, k := 7, 10
	z, t := up(be, r.floats(n*k, -5, 5)), up(be, r.floats(n*k, -5, 5))
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(r.intn(k))
	}
	p, target, loss := be.Alloc(n*k), be.Alloc(n*k), be.Alloc(1)
	hits := be.CrossEntropy(loss, p, target, z, labels, n, k, 0.7)
	d, dy := up(be, r.floats(n*k, -1, 1)), up(be, []float32{1.5})
	be.LossGrad(d, p, target, dy, 0.1)
	ps, pt, kl := be.Alloc(n*k), be.Alloc(n*k), be.Alloc(1)
	be.Softmax(ps, z, n, k, 2)
	be.Softmax(pt, t, n, k, 2)
	be.KLDivergence(kl, ps, pt, n, 2, 0.3)
	return [][]float64{down(be, p), down(be, target), down(be, loss), {float64(hits)}, down(be, d), down(be, ps), down(be, kl)}, nil
}

func parityRunning(be backend.Backend, r *prng) ([][]float64, error) {
	run, batch := up(be, r.floats(9, 0, 2)), up(be, r.floats(9, 0, 2))
	be.RunningUpdate(run, batch, 0.9)
	x, y := up(be, r.floats(2*9*11, -2, 3)), be.Alloc(2*9*11)
	be.BatchNormEval(2, 9, 11, x, up(be, r.floats(9, 0.5, 1.5)), up(be, r.floats(9, -1, 1)), run, batch, y, 1e-5)
	return [][]float64{down(be, run), down(be, y)}, nil
}

func parityConv(be backend.Backend, r *prng, p backend.Conv) ([][]float64, error) {
	xl, wl, yl := p.N*p.C*p.H*p.W, p.K*p.C/p.Groups*p.KH*p.KW, p.N*p.K*p.OutH()*p.OutW()
	x, w, bias := up(be, r.floats(xl, -1, 1)), up(be, r.floats(wl, -1, 1)), up(be, r.floats(p.K, -1, 1))
	y, y2 := be.Alloc(yl), be.Alloc(yl)
	be.Conv(p, x, w, bias, y, true)
	be.Conv(p, x, w, nil, y2, false)
	dy := up(be, r.floats(yl, -1, 1))
	dx, dw, dw2 := be.Alloc(xl), be.Alloc(wl), be.Alloc(wl)
	be.ConvBackwardData(p, dy, w, dx)
	be.ConvBackwardFilter(p, x, dy, dw)
	q := be.EncodeInput(x, p.N, p.C, p.H*p.W, 1, 77, 3)
	be.ConvBackwardFilterCodes(p, q, dy, dw2)
	be.Release(q)
	return [][]float64{down(be, y), down(be, y2), down(be, dx), down(be, dw), down(be, dw2)}, nil
}

func parityPool(be backend.Backend, r *prng, p backend.Pool) ([][]float64, error) {
	xl, yl := p.N*p.C*p.H*p.W, p.N*p.C*p.OH*p.OW
	v := r.floats(xl, -1, 1)
	v[3] = v[4] // a tie: the first maximum in window order wins
	x, y, y2 := up(be, v), be.Alloc(yl), be.Alloc(yl)
	dy := up(be, r.floats(yl, -1, 1))
	var out [][]float64
	for _, small := range []bool{false, true} {
		arg := be.MaxPool(p, x, y, small)
		dx := up(be, r.floats(xl, -1, 1)) // accumulates onto a gradient
		be.MaxPoolBackward(p, dy, arg, dx)
		be.Release(arg)
		out = append(out, down(be, y), down(be, dx))
	}
	be.AvgPool(p, x, y2)
	dx := up(be, r.floats(xl, -1, 1))
	be.AvgPoolBackward(p, dy, dx)
	return append(out, down(be, y2), down(be, dx)), nil
}

func parityCodes(be backend.Backend, r *prng, bits, n, c, inner int) ([][]float64, error) {
	v := r.floats(n*c*inner, -1, 2)
	for i := range inner { // channel 1 constant: hi = lo
		for b := range n {
			v[(b*c+1)*inner+i] = 0.25
		}
	}
	v[len(v)-1] = 7 // the maximum in the last slice of the last channel
	v[5] = float32(math.NaN())
	x := up(be, v)
	q := be.EncodeInput(x, n, c, inner, bits, 0xfeed, 7)
	dst := be.Alloc(len(v))
	be.DecodeInput(q, dst)
	out := [][]float64{codeWords(be, q), down(be, dst)}
	be.Release(q)
	return out, nil
}

// bnInputs draws BN's input (through a conv when conv is set, so that it
// carries the conv's moments) and γ (of both signs: the fused code's
// halves flip with γ's sign) and β.
func bnInputs(be backend.Backend, r *prng, conv bool, n, c, inner int) (x, gamma, beta backend.Buffer, mom backend.Moments) {
	gamma, beta = up(be, r.floats(c, -1.5, 1.5)), up(be, r.floats(c, -1, 1))
	if !conv {
		return up(be, r.floats(n*c*inner, -2, 3)), gamma, beta, nil
	}
	// One input channel: each output is one product, rounded alike on both
	// backends, so BN sees the same input and the conv's moments.
	p := backend.Conv{N: n, C: 1, H: 1, W: inner, K: c, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, Groups: 1}
	x = be.Alloc(n * c * inner)
	mom = be.Conv(p, up(be, r.floats(n*inner, -2, 3)), up(be, r.floats(c, -1, 1)), nil, x, true)
	return x, gamma, beta, mom
}

func parityBN(be backend.Backend, r *prng, save backend.BNSave, relu, conv bool, n, c, inner int) ([][]float64, error) {
	x, gamma, beta, mom := bnInputs(be, r, conv, n, c, inner)
	a := backend.BN{N: n, C: c, Inner: inner, Eps: 1e-5, Relu: relu, Save: save, Bits: 2, Key: 0xbeef, Stream: 4}
	y := be.Alloc(n * c * inner)
	st, q := be.BatchNorm(a, x, gamma, beta, y, mom)
	out := [][]float64{down(be, y), down(be, st.Mean), down(be, st.Var), down(be, st.InvStd)}
	if q != nil {
		out = append(out, codeWords(be, q))
		if save == backend.SaveReluCodes {
			dst := be.Alloc(n * c * inner)
			be.DecodeInput(be.ReluInput(q), dst)
			out = append(out, down(be, dst))
		}
		be.Release(q)
	}
	return out, nil
}

func parityBNBackward(be backend.Backend, r *prng, save backend.BNSave, relu, conv bool, n, c, inner int) ([][]float64, error) {
	x, gamma, beta, mom := bnInputs(be, r, conv, n, c, inner)
	a := backend.BN{N: n, C: c, Inner: inner, Eps: 1e-5, Relu: relu, Save: save, Bits: 2, Key: 0xbeef, Stream: 4}
	y := be.Alloc(n * c * inner)
	st, q := be.BatchNorm(a, x, gamma, beta, y, mom)
	g := backend.BNGrad{G: up(be, r.floats(n*c*inner, -1, 1)), Gamma: gamma, Mean: st.Mean, InvStd: st.InvStd,
		DGamma: be.Alloc(c), DBeta: be.Alloc(c)}
	g.DX = g.G // in place, as autograd does when nothing shares the gradient
	switch {
	case q != nil:
		g.Codes, g.Scratch = q, be.Alloc(n*c*inner)
	default:
		g.X = x
		if relu {
			g.ReluOut = y
		}
	}
	be.BatchNormBackward(a, g)
	out := [][]float64{down(be, g.DX), down(be, g.DGamma), down(be, g.DBeta)}
	if q != nil {
		be.Release(q)
	}
	return out, nil
}
