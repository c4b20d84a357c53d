package kernels

import "fmt"

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major float32
// matrices, op(A) m×k and op(B) k×n, op(X) = Xᵀ when trans is set (then X is
// stored k×m or n×k). lda, ldb and ldc are the row strides of the stored
// matrices. When beta is 0, C is overwritten without being read.
//
// The result is bit-for-bit the same at any GOMAXPROCS. Bad dimensions or
// short slices panic (a programming error; see the package doc).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Sgemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	checkMat("A", transA, m, k, a, lda)
	checkMat("B", transB, k, n, b, ldb)
	checkMat("C", false, m, n, c, ldc)
}

// checkMat checks that x holds op(X) of r×c elements with leading dimension ld.
func checkMat(name string, trans bool, r, c int, x []float32, ld int) {
	if trans {
		r, c = c, r
	}
	if ld < max(c, 1) {
		panic(fmt.Sprintf("kernels: Sgemm: ld%s = %d, want >= %d", name, ld, max(c, 1)))
	}
	if r > 0 && c > 0 && len(x) < (r-1)*ld+c {
		panic(fmt.Sprintf("kernels: Sgemm: %s has %d elements, want %d", name, len(x), (r-1)*ld+c))
	}
}
