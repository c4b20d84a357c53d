//go:build !purego

package kernels

//go:noescape
func maxArgStepAVX512(n int, best *float32, idx *int32, src *float32, t int32)

//go:noescape
func maxArgStepAVX2(blocks int, best *float32, idx *int32, src *float32, t int32)

// maxArgStepFast is maxArgStep's vector body; it returns how many leading
// elements it handled: all of them with AVX-512, the whole blocks of 8
// with AVX2, none otherwise.
func maxArgStepFast(best []float32, idx []int32, src []float32, t int32) int {
	n := len(best)
	switch {
	case n == 0:
		return 0
	case useAVX512:
		_, _ = idx[n-1], src[n-1]
		maxArgStepAVX512(n, &best[0], &idx[0], &src[0], t)
		return n
	case hasAVX2 && n >= 8:
		_, _ = idx[n-1], src[n-1]
		maxArgStepAVX2(n/8, &best[0], &idx[0], &src[0], t)
		return n &^ 7
	}
	return 0
}
