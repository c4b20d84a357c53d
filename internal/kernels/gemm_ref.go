package kernels

// SgemmRef is the reference definition of Sgemm:
//
//	C = alpha·op(A)·op(B) + beta·C
//
// with op(A) m×k and op(B) k×n, row-major, op(X) = Xᵀ when trans is set.
// When beta is 0, C is overwritten without being read (NaNs in C vanish).
// Sums are accumulated in float64 so that the reference is more accurate
// than the kernels it checks.
func SgemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				s += float64(at(a, lda, transA, i, p)) * float64(at(b, ldb, transB, p, j))
			}
			v := float32(float64(alpha) * s)
			if beta != 0 {
				v += beta * c[i*ldc+j]
			}
			c[i*ldc+j] = v
		}
	}
}

// at is element (r, col) of op(X) for a row-major X with leading dimension ld.
func at(x []float32, ld int, trans bool, r, col int) float32 {
	if trans {
		return x[col*ld+r]
	}
	return x[r*ld+col]
}
