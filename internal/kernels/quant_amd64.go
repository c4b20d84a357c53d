//go:build !purego

package kernels

//go:noescape
func maxAbsAVX512(x *float32, n int) float32

//go:noescape
func quantRows4AVX512(n int, x0, x1, x2, x3 *float32, inv float32, dst *uint32)

//go:noescape
func dequantRowAVX512(n int, src *int32, corr int32, m, b float32, dst *float32)

// maxAbsFast handles the leading multiple of 64 elements of x; it returns
// how many it handled and their max |x|.
func maxAbsFast(x []float32) (int, float32) {
	n := len(x) / 64 * 64
	if !useAVX512 || n == 0 {
		return 0, 0
	}
	return n, maxAbsAVX512(&x[0], n)
}

func quantRows4Fast(x0, x1, x2, x3 []float32, inv float32, dst []uint32) int {
	n := len(dst)
	if !useAVX512 || n == 0 {
		return 0
	}
	_, _, _, _ = x0[n-1], x1[n-1], x2[n-1], x3[n-1]
	quantRows4AVX512(n, &x0[0], &x1[0], &x2[0], &x3[0], inv, &dst[0])
	return n
}

func dequantRowFast(src []int32, corr int32, m, b float32, dst []float32) int {
	n := len(dst)
	if !useAVX512 || n == 0 {
		return 0
	}
	_ = src[n-1]
	dequantRowAVX512(n, &src[0], corr, m, b, &dst[0])
	return n
}
