package kernels

// MaxInto sets dst[i] = max(dst[i], src[i]) for i < len(dst), NaN when
// either is NaN (as Go's max; the sign of a zero result is unspecified).
// It is the vector step of max pooling: package infer takes window maxima
// as running maxima over shifted rows. src must be at least as long as dst.
func MaxInto(dst, src []float32) {
	src = src[:len(dst)]
	done := maxIntoFast(dst, src)
	for i, v := range src[done:] {
		dst[done+i] = max(dst[done+i], v)
	}
}
