package kernels

// Unpadded 1×1 convolutions on small planes (ResNet-50's 14×14 and 7×7
// stages): one GEMM per image would have a plane's few pixels as its
// columns, and a 48-column register tile computes 96 columns for a 7×7
// plane's 49. Instead a chunk of images goes through one GEMM, their
// (subsampled) planes side by side as the columns, with the weights
// packed once per call; the product is then scattered to the images'
// planes. Columns are independent, so a pixel's result does not depend on
// the chunk it falls in.

// pointwiseCols is the fewest GEMM columns a chunk of images should give.
var pointwiseCols = 512 // a variable for the tests

// pointwiseBatch is how many images an unpadded 1×1 convolution's GEMMs
// take at once: 1 unless the output plane is smaller than pointwiseCols
// (and there is one group).
func (p ConvParams) pointwiseBatch() int {
	ohw := p.OutH() * p.OutW()
	if p.Groups != 1 || !p.unpadded1x1() || ohw >= pointwiseCols || ohw == 0 {
		return 1
	}
	return min(p.N, (pointwiseCols+ohw-1)/ohw)
}

// batchedPointwise is conv2DWith for unpadded 1×1 convolutions with
// pointwiseBatch() > 1: Y = W·X over chunks of images.
func batchedPointwise(p ConvParams, w operandA, x, bias, y []float32, ep Epilogue) {
	ohw := p.OutH() * p.OutW()
	batchedGemm(p, w, p.K, p.C, func(n, c int, dst []float32) { // the pixels the strides land on
		src := x[(n*p.C+c)*p.H*p.W:]
		if p.pointwise() {
			copy(dst[:ohw], src)
			return
		}
		p.subsample(dst, src, 1)
	}, func(n, k int, src []float32) {
		row := y[(n*p.K+k)*ohw : (n*p.K+k+1)*ohw]
		var b float32
		if bias != nil {
			b = bias[k]
		}
		addConstRows(row, 0, src, 0, 1, ohw, b)
		if !ep.none() {
			ep.apply(row, (n*p.K+k)*ohw)
		}
		if ep.Moments != nil {
			ep.Moments[n*p.K+k] = planeMoments(row)
		}
	})
}

// batchedPointwiseBackwardData is conv2DBackwardData for unpadded 1×1
// convolutions with pointwiseBatch() > 1: dX = Wᵀ·dY over chunks of
// images, scattered back to the pixels the strides land on (zero
// elsewhere).
func batchedPointwiseBackwardData(p ConvParams, w, dy, dx []float32) {
	oh, ow, hw := p.OutH(), p.OutW(), p.H*p.W
	batchedGemm(p, matA{w, p.C, true, 1}, p.C, p.K, func(n, k int, dst []float32) {
		copy(dst[:oh*ow], dy[(n*p.K+k)*oh*ow:])
	}, func(n, c int, src []float32) {
		plane := dx[(n*p.C+c)*hw : (n*p.C+c+1)*hw]
		if p.pointwise() {
			copy(plane, src[:hw])
			return
		}
		clear(plane)
		for r := range oh {
			row := plane[r*p.StrideH*p.W:]
			for j, v := range src[r*ow : (r+1)*ow] {
				row[j*p.StrideW] = v
			}
		}
	})
}

// batchedGemm computes out[n] = A·in[n] (A m×k, in[n] k×OutH·OutW) for
// every image n in chunks of pointwiseBatch() images: gather(n, r, dst)
// writes row r of in[n] to dst, and scatter(n, i, src) takes row i of
// out[n]. Chunks run in parallel, each with its own scratch.
func batchedGemm(p ConvParams, a operandA, m, k int, gather func(n, r int, dst []float32), scatter func(n, i int, src []float32)) {
	kern := gemmKernel()
	ohw, imgs := p.OutH()*p.OutW(), p.pointwiseBatch()
	cols := imgs * ohw
	rounds := (m + kern.mr - 1) / kern.mr * kern.mr
	abuf := getBuf(rounds * k)
	defer bufPool.Put(abuf)
	pa := packAll(*abuf, a, m, k, kern.mr)
	chunks := (p.N + imgs - 1) / imgs
	forTasks(chunks, p.flops(), func(ci, workers int) {
		n0, n1 := ci*imgs, min(p.N, (ci+1)*imgs)
		buf := getBuf(k*cols + kern.nr + m*cols) // the GEMM reads B in place: a tile of slack
		defer bufPool.Put(buf)
		b, c := (*buf)[:k*cols+kern.nr], (*buf)[k*cols+kern.nr:]
		for n := n0; n < n1; n++ {
			for r := range k {
				gather(n, r, b[r*cols+(n-n0)*ohw:])
			}
		}
		runGemm(gemmJob{m: m, n: (n1 - n0) * ohw, k: k, a: &pa, b: &directB{b: b, ldb: cols}, c: c, ldc: cols}, kern, workers)
		for n := n0; n < n1; n++ {
			for i := range m {
				scatter(n, i, c[i*cols+(n-n0)*ohw:])
			}
		}
	})
}
