//go:build !purego

package kernels

//go:noescape
func momentsAVX512(blocks int, acc *laneSums, x *float32, shift float64)

//go:noescape
func crossAVX512(blocks int, acc *laneSums, grad, x *float32, shift float64)

//go:noescape
func minMaxAVX512(blocks int, acc *[2][sumLanes]float32, x *float32)

//go:noescape
func combineAVX512(n int, dst, grad, x *float32, a, b, c float32)

//go:noescape
func momentsAVX2(blocks int, acc *laneSums, x *float32, shift float64)

//go:noescape
func crossAVX2(blocks int, acc *laneSums, grad, x *float32, shift float64)

//go:noescape
func minMaxAVX2(blocks int, acc *[2][sumLanes]float32, x *float32)

// combineAVX2 takes whole blocks of 8 elements.
//
//go:noescape
func combineAVX2(blocks int, dst, grad, x *float32, a, b, c float32)

// momentsFast, crossFast and minMaxFast handle the whole sumLanes-element blocks of a
// row and return how many elements that was; the caller does the rest.

func momentsFast(acc *laneSums, x []float32, shift float64) int {
	blocks := len(x) / sumLanes
	if !(useAVX512 || hasAVX2) || blocks == 0 {
		return 0
	}
	if useAVX512 {
		momentsAVX512(blocks, acc, &x[0], shift)
	} else {
		momentsAVX2(blocks, acc, &x[0], shift)
	}
	return blocks * sumLanes
}

func crossFast(acc *laneSums, g, x []float32, shift float64) int {
	blocks := len(g) / sumLanes
	if !(useAVX512 || hasAVX2) || blocks == 0 {
		return 0
	}
	_ = x[blocks*sumLanes-1]
	if useAVX512 {
		crossAVX512(blocks, acc, &g[0], &x[0], shift)
	} else {
		crossAVX2(blocks, acc, &g[0], &x[0], shift)
	}
	return blocks * sumLanes
}

func combineFast(dst, g, x []float32, a, b, c float32) int {
	n := len(dst)
	switch {
	case n == 0:
		return 0
	case useAVX512:
		_, _ = g[n-1], x[n-1]
		combineAVX512(n, &dst[0], &g[0], &x[0], a, b, c)
		return n
	case hasAVX2 && n >= 8:
		_, _ = g[n-1], x[n-1]
		combineAVX2(n/8, &dst[0], &g[0], &x[0], a, b, c)
		return n &^ 7
	}
	return 0
}

func minMaxFast(acc *[2][sumLanes]float32, x []float32) int {
	blocks := len(x) / sumLanes
	if !(useAVX512 || hasAVX2) || blocks == 0 {
		return 0
	}
	if useAVX512 {
		minMaxAVX512(blocks, acc, &x[0])
	} else {
		minMaxAVX2(blocks, acc, &x[0])
	}
	return blocks * sumLanes
}
