package kernels

import "math"

// The vector helpers of the int8 path: each is the Go loop below, with an
// AVX-512 body on amd64 (quant_*.go): maxAbs for the leading multiple of
// 64 elements, the others for all of them (the tail through a mask).

// maxAbsBits is the largest bits(|x[i]|) as an unsigned integer (0 for an
// empty x): |x| orders like its bits, and a result of notFinite or more
// means x holds a NaN or an infinity.
func maxAbsBits(x []float32) uint32 {
	done, m := maxAbsBitsFast(x)
	for _, v := range x[done:] {
		m = max(m, math.Float32bits(v)&^(1<<31))
	}
	return m
}

// notFinite is the bits of +Inf, the smallest non-finite |x|.
const notFinite = 0x7f800000

// quantRows4 packs 4 channels of n positions into words:
// dst[i] = Σ_c uint32(quantize(xc[i], inv)+128) << 8c.
func quantRows4(x0, x1, x2, x3 []float32, inv float32, dst []uint32) {
	n := len(dst)
	done := quantRows4Fast(x0[:n], x1[:n], x2[:n], x3[:n], inv, dst)
	for i := done; i < n; i++ {
		dst[i] = q8(x0[i], inv) | q8(x1[i], inv)<<8 | q8(x2[i], inv)<<16 | q8(x3[i], inv)<<24
	}
}

func q8(v, inv float32) uint32 { return uint32(quantize(v, inv) + 128) }

// dequantRow is dst[i] = dequant(m, float32(src[i]−corr), b).
func dequantRow(src []int32, corr int32, m, b float32, dst []float32) {
	done := dequantRowFast(src[:len(dst)], corr, m, b, dst)
	for i := done; i < len(dst); i++ {
		dst[i] = dequant(m, float32(src[i]-corr), b)
	}
}
