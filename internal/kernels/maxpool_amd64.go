//go:build !purego

package kernels

//go:noescape
func maxArgStepAVX512(n int, best *float32, idx *int32, src *float32, t int32)

// maxArgStepFast is maxArgStep's AVX-512 body; it returns how many leading
// elements it handled: all of them with AVX-512, none otherwise.
func maxArgStepFast(best []float32, idx []int32, src []float32, t int32) int {
	n := len(best)
	if !useAVX512 || n == 0 {
		return 0
	}
	_, _ = idx[n-1], src[n-1]
	maxArgStepAVX512(n, &best[0], &idx[0], &src[0], t)
	return n
}

//go:noescape
func linRowsAVX512(n, m, k int, coef, src *float32, soffs *int, dst *float32, doffs *int)

// linRowsFast is linRows's AVX-512 body; the caller has checked the
// offsets against the slices.
func linRowsFast(n int, coef, src []float32, soffs []int, dst []float32, doffs []int) bool {
	if !useAVX512 {
		return false
	}
	linRowsAVX512(n, len(doffs), len(soffs), &coef[0], &src[0], &soffs[0], &dst[0], &doffs[0])
	return true
}
