//go:build !purego

package kernels

//go:noescape
func maxAbsBitsAVX512(x *float32, n int) uint32

//go:noescape
func epilogueRowAVX512(n int, y, add *float32, relu bool)

//go:noescape
func quantRows4AVX512(n int, x0, x1, x2, x3 *float32, inv float32, dst *uint32)

//go:noescape
func dequantRowAVX512(n int, src *int32, corr int32, m, b float32, dst *float32)

// The AVX2 twins (quant_avx2_amd64.s) run where useAVX512 is false and the
// CPU has AVX2, on whole blocks of 8: the same bits either way.
//
//go:noescape
func maxAbsBitsAVX2(x *float32, n int) uint32

//go:noescape
func epilogueRowAVX2(n int, y, add *float32, relu bool)

//go:noescape
func quantRows4AVX2(n int, x0, x1, x2, x3 *float32, inv float32, dst *uint32)

//go:noescape
func dequantRowAVX2(n int, src *int32, corr int32, m, b float32, dst *float32)

// maxAbsBitsFast handles the leading multiple of 64 elements of x; it
// returns how many it handled and their maxAbsBits.
func maxAbsBitsFast(x []float32) (int, uint32) {
	n := len(x) / 64 * 64
	switch {
	case n == 0:
		return 0, 0
	case useAVX512:
		return n, maxAbsBitsAVX512(&x[0], n)
	case hasAVX2:
		return n, maxAbsBitsAVX2(&x[0], n)
	}
	return 0, 0
}

// epilogueRowFast applies e to the leading elements of y and returns how
// many: all of them with AVX-512, the whole blocks of 8 with AVX2.
func epilogueRowFast(e Epilogue, y []float32, off int) int {
	n := len(y)
	if useAVX512 && n > 0 {
		epilogueRowAVX512(n, &y[0], addAt(e, off, n), e.ReLU)
		return n
	}
	if n = n &^ 7; hasAVX2 && n > 0 {
		epilogueRowAVX2(n, &y[0], addAt(e, off, n), e.ReLU)
		return n
	}
	return 0
}

// addAt is e.Add's first element for y's elements from off, nil without Add.
func addAt(e Epilogue, off, n int) *float32 {
	if e.Add == nil {
		return nil
	}
	return &e.Add[off : off+n][0]
}

// quantRows4Fast and dequantRowFast handle the leading elements and
// return how many: all of them with AVX-512, the whole blocks of 8 with
// AVX2.
func quantRows4Fast(x0, x1, x2, x3 []float32, inv float32, dst []uint32) int {
	n := len(dst)
	if !useAVX512 {
		n &^= 7
	}
	if n == 0 || !(useAVX512 || hasAVX2) {
		return 0
	}
	_, _, _, _ = x0[n-1], x1[n-1], x2[n-1], x3[n-1]
	if useAVX512 {
		quantRows4AVX512(n, &x0[0], &x1[0], &x2[0], &x3[0], inv, &dst[0])
	} else {
		quantRows4AVX2(n, &x0[0], &x1[0], &x2[0], &x3[0], inv, &dst[0])
	}
	return n
}

func dequantRowFast(src []int32, corr int32, m, b float32, dst []float32) int {
	n := len(dst)
	if !useAVX512 {
		n &^= 7
	}
	if n == 0 || !(useAVX512 || hasAVX2) {
		return 0
	}
	_ = src[n-1]
	if useAVX512 {
		dequantRowAVX512(n, &src[0], corr, m, b, &dst[0])
	} else {
		dequantRowAVX2(n, &src[0], corr, m, b, &dst[0])
	}
	return n
}
