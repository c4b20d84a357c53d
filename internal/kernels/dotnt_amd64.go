//go:build !purego

package kernels

// The lane-wise dot-product tiles; each implements dotNTGo for its size (see
// the comment at the top of its .s file). The caller guarantees that b
// holds (nimg−1)·bstride + offs[x] + steps·lanes elements for every x.
//
//go:noescape
func dotNT4x6AVX512(steps, nimg int, a *float32, lda, astride int, b *float32, bstride int, offs *int, partial *float32)

//go:noescape
func dotNT4x2AVX2(steps, nimg int, a *float32, lda, astride int, b *float32, bstride int, offs *int, partial *float32)

var (
	avx512Dot = dotKernel{mr: 4, nq: 6, lanes: 16, name: "avx512-dot-4x6",
		fn: func(steps, nimg int, a []float32, lda, astride int, b []float32, bstride int, offs []int, partial []float32) {
			if steps == 0 || nimg == 0 {
				return
			}
			_ = a[(nimg-1)*astride+3*lda+16*steps-1]
			_ = offs[5]
			_ = partial[4*6*16-1]
			dotNT4x6AVX512(steps, nimg, &a[0], lda, astride, &b[0], bstride, &offs[0], &partial[0])
		}}
	avx2Dot = dotKernel{mr: 4, nq: 2, lanes: 8, name: "avx2-dot-4x2",
		fn: func(steps, nimg int, a []float32, lda, astride int, b []float32, bstride int, offs []int, partial []float32) {
			if steps == 0 || nimg == 0 {
				return
			}
			_ = a[(nimg-1)*astride+3*lda+8*steps-1]
			_ = offs[1]
			_ = partial[4*2*8-1]
			dotNT4x2AVX2(steps, nimg, &a[0], lda, astride, &b[0], bstride, &offs[0], &partial[0])
		}}
)

// dotKernelFor is the fastest dot-product tile this CPU runs.
func dotKernelFor() *dotKernel {
	switch {
	case useAVX512:
		return &avx512Dot
	case hasAVX2:
		return &avx2Dot
	}
	return &goDotKernel
}

// asmDotKernels lists the dot-product tiles this CPU can run, for tests.
func asmDotKernels() []*dotKernel {
	var ks []*dotKernel
	if hasAVX512 {
		ks = append(ks, &avx512Dot)
	}
	if hasAVX2 {
		ks = append(ks, &avx2Dot)
	}
	return ks
}
