package gpu

import "fmt"

// The shapes are small and odd on purpose: sizes that are not multiples of
// 64, a warp or a block, strides and padding that leave partial windows.

var (
	parityConvs = []ConvGeom{
		{N: 3, C: 5, H: 9, W: 7, K: 4, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, DilH: 1, DilW: 1, OH: 5, OW: 4},
		{N: 2, C: 3, H: 8, W: 8, K: 6, KH: 1, KW: 1, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, OH: 4, OW: 4},
		{N: 1, C: 2, H: 7, W: 9, K: 3, KH: 3, KW: 2, StrideH: 1, StrideW: 3, PadTop: 2, PadLeft: 1, DilH: 2, DilW: 1, OH: 7, OW: 4},
	}
	parityPool = PoolGeom{Planes: 6, H: 9, W: 11, OH: 5, OW: 6, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1}
)

func parityCases() []parityCase {
	cs := []parityCase{
		{"sgemm", 1e-5, paritySgemm},
		{"permute01", 0, func(b Backend, r *prng) ([][]float64, error) {
			x, y := r.floats(3*5*7, -1, 1), make([]float32, 3*5*7)
			err := b.Permute01(3, 5, 7, x, y)
			return f32s(y), err
		}},
		{"batchnorm train", 1e-5, func(b Backend, r *prng) ([][]float64, error) { return parityBN(b, r, 3, 5, 37) }},
		{"batchnorm backward", 1e-5, func(b Backend, r *prng) ([][]float64, error) { return parityBNBackward(b, r, 4, 3, 50) }},
		// Channels of more than 2·sliceLen values: the GPU reductions split
		// them into slices (reduce.go), here 3 of unequal length.
		{"batchnorm train sliced", 1e-5, func(b Backend, r *prng) ([][]float64, error) { return parityBN(b, r, 2, 2, 6149) }},
		{"batchnorm backward sliced", 1e-5, func(b Backend, r *prng) ([][]float64, error) { return parityBNBackward(b, r, 2, 2, 6149) }},
		{"binarize sliced", 1e-6, func(b Backend, r *prng) ([][]float64, error) { return parityBinarize(b, r, 3, 3*sliceLen+77) }},
		{"codes 2-bit sliced", 0, func(b Backend, r *prng) ([][]float64, error) { return parityCodes(b, r, 2, 2, 2, 6149) }},
		{"relu", 0, func(b Backend, r *prng) ([][]float64, error) {
			x, y := r.floats(1000, -1, 1), make([]float32, 1000)
			err := b.Relu(x, y)
			return f32s(y), err
		}},
		{"relu mask and backward", 0, parityReluMask},
		{"add", 0, func(b Backend, r *prng) ([][]float64, error) {
			x, y, z := r.floats(777, -1, 1), r.floats(777, -1, 1), make([]float32, 777)
			err := b.Add(x, y, z)
			return f32s(z), err
		}},
		{"global average pool", 0, func(b Backend, r *prng) ([][]float64, error) {
			x, y := r.floats(10*49, -1, 1), make([]float32, 10)
			dy, dx := r.floats(10, -1, 1), make([]float32, 10*49)
			if err := b.GlobalAvgPool(10, 49, x, y); err != nil {
				return nil, err
			}
			err := b.GlobalAvgPoolBackward(10, 49, dy, dx)
			return f32s(y, dx), err
		}},
		{"max pool", 0, parityMaxPool},
		{"softmax cross-entropy", 1e-6, paritySoftmax},
		{"sgd", 0, paritySGD},
		{"binarize", 1e-6, func(b Backend, r *prng) ([][]float64, error) { return parityBinarize(b, r, 6, 100) }},
		{"train step exact", 1e-4, func(b Backend, r *prng) ([][]float64, error) { return parityStep(b, r, false) }},
		// A stochastic code whose threshold falls within GEMM rounding of the
		// value can flip between backends; one flip moves parameters by ~1e-4.
		{"train step compressed", 1e-3, func(b Backend, r *prng) ([][]float64, error) { return parityStep(b, r, true) }},
	}
	for i, g := range parityConvs {
		cs = append(cs, parityCase{fmt.Sprintf("im2col/col2im %d", i), 0, func(b Backend, r *prng) ([][]float64, error) {
			return parityCol(b, r, g)
		}})
	}
	for _, bits := range []int{1, 2, 4, 8} {
		cs = append(cs, parityCase{fmt.Sprintf("codes %d-bit", bits), 0, func(b Backend, r *prng) ([][]float64, error) {
			return parityCodes(b, r, bits, 3, 5, 29)
		}})
	}
	return cs
}

func paritySgemm(b Backend, r *prng) ([][]float64, error) {
	var outs [][]float64
	for _, t := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		m, n, k := 13, 17, 29
		a, bb, c := r.floats(m*k, -1, 1), r.floats(k*n, -1, 1), r.floats(m*n, -1, 1)
		lda, ldb := k, n
		if t[0] {
			lda = m
		}
		if t[1] {
			ldb = k
		}
		if err := b.Sgemm(t[0], t[1], m, n, k, 0.5, a, lda, bb, ldb, 0.25, c, n); err != nil {
			return nil, err
		}
		outs = append(outs, f32s(c)...)
	}
	return outs, nil
}

func parityCol(b Backend, r *prng, g ConvGeom) ([][]float64, error) {
	x := r.floats(g.N*g.C*g.H*g.W, -1, 1)
	col := make([]float32, g.Rows()*g.Cols())
	if err := b.Im2col(g, x, col); err != nil {
		return nil, err
	}
	dcol, dx := r.floats(len(col), -1, 1), make([]float32, len(x))
	err := b.Col2im(g, dcol, dx)
	return f32s(col, dx), err
}

func parityBN(b Backend, r *prng, n, c, inner int) ([][]float64, error) {
	x := r.floats(n*c*inner, -2, 3)
	gamma, beta := r.floats(c, 0.5, 1.5), r.floats(c, -1, 1)
	y, xh := make([]float32, len(x)), make([]float32, len(x))
	st, err := b.BatchNormTrain(n, c, inner, x, gamma, beta, y, 1e-5)
	if err != nil {
		return nil, err
	}
	if err := b.BatchNormNormalize(n, c, inner, x, st, xh); err != nil {
		return nil, err
	}
	return f32s(y, xh, st.Mean, st.Var, st.InvStd), nil
}

func parityBNBackward(b Backend, r *prng, n, c, inner int) ([][]float64, error) {
	dy, xh := r.floats(n*c*inner, -1, 1), r.floats(n*c*inner, -2, 2)
	gamma, inv := r.floats(c, 0.5, 1.5), r.floats(c, 0.5, 2)
	dx, dg, db := make([]float32, len(dy)), make([]float32, c), make([]float32, c)
	err := b.BatchNormBackward(n, c, inner, dy, xh, gamma, BNStats{InvStd: inv}, dx, dg, db)
	return f32s(dx, dg, db), err
}

func parityReluMask(b Backend, r *prng) ([][]float64, error) {
	x := r.floats(1000, -1, 1)
	x[5], x[64] = 0, 0 // exact zeros: the mask is x > 0
	mask := make([]uint64, (len(x)+63)/64)
	if err := b.ReluMask(x, mask); err != nil {
		return nil, err
	}
	dy, dx := r.floats(len(x), -1, 1), make([]float32, len(x))
	if err := b.ReluBackward(mask, dy, dx); err != nil {
		return nil, err
	}
	return append([][]float64{u64s(mask)}, f32s(dx)...), nil
}

func parityMaxPool(b Backend, r *prng) ([][]float64, error) {
	g := parityPool
	x := r.floats(g.Planes*g.H*g.W, -1, 1)
	x[3] = x[4] // a tie: the first maximum in window order wins
	y, arg := make([]float32, g.Planes*g.OH*g.OW), make([]uint8, g.Planes*g.OH*g.OW)
	if err := b.MaxPool(g, x, y, arg); err != nil {
		return nil, err
	}
	dy, dx := r.floats(len(y), -1, 1), make([]float32, len(x))
	if err := b.MaxPoolBackward(g, dy, arg, dx); err != nil {
		return nil, err
	}
	return append(f32s(y, dx), u8s(arg)), nil
}

func paritySoftmax(b Backend, r *prng) ([][]float64, error) {
	n, k := 7, 10
	z := r.floats(n*k, -5, 5)
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(r.intn(k))
	}
	d := make([]float32, n*k)
	loss, hits, err := b.SoftmaxCrossEntropy(n, k, z, labels, 0.7, d)
	return append(f32s(d), []float64{float64(loss), float64(hits)}), err
}

func paritySGD(b Backend, r *prng) ([][]float64, error) {
	var outs [][]float64
	for _, nest := range []bool{false, true} {
		w, g, buf := r.floats(300, -1, 1), r.floats(300, -1, 1), r.floats(300, -1, 1)
		if err := b.SGDUpdate(w, g, buf, 0.1, 5e-4, 0.9, nest); err != nil {
			return nil, err
		}
		outs = append(outs, f32s(w, buf)...)
	}
	return outs, nil
}

func parityBinarize(b Backend, r *prng, rows, cols int) ([][]float64, error) {
	w := r.floats(rows*cols, -1, 1)
	w[0], w[7] = 0, float32(negZero()) // sign(0) = sign(−0) = +1
	scale, what := make([]float32, rows), make([]float32, rows*cols)
	words := make([]uint64, rows*((cols+63)/64))
	if err := b.RowAbsMean(rows, cols, w, scale); err != nil {
		return nil, err
	}
	if err := b.SignScale(rows, cols, w, scale, what); err != nil {
		return nil, err
	}
	if err := b.PackSigns(rows, cols, w, words); err != nil {
		return nil, err
	}
	return append(f32s(scale, what), u64s(words)), nil
}

func negZero() float64 {
	z := 0.0
	return -z
}

func parityCodes(b Backend, r *prng, bits, n, c, inner int) ([][]float64, error) {
	x := r.floats(n*c*inner, -1, 2)
	for i := range inner { // channel 1 constant: Hi = Lo
		for bt := range n {
			x[(bt*c+1)*inner+i] = 0.25
		}
	}
	x[len(x)-1] = 7 // the maximum in the last slice of the last channel
	q, err := NewCodes(bits, n, c, inner)
	if err != nil {
		return nil, err
	}
	if err := b.Encode(q, x, 0xfeed, 7); err != nil {
		return nil, err
	}
	dst := make([]float32, len(x))
	if err := b.Decode(q, dst); err != nil {
		return nil, err
	}
	return append(f32s(q.Lo, q.Hi, dst), u64s(q.Words)), nil
}
