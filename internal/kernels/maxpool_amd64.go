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
