package kernels

import "math"

// Element-wise helpers for the executor and the trainer: each is the Go
// loop below, with an AVX-512 body on amd64 (elementwise_*.s) that gives
// the same bits.

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

// AddInto sets dst[i] += src[i] for i < len(dst).
func AddInto(dst, src []float32) {
	src = src[:len(dst)]
	done := addIntoFast(dst, src)
	for i, v := range src[done:] {
		dst[done+i] += v
	}
}

// ScaleAddRows sets dst[r·stride+i] = s·src[r·stride+i] + b for r < rows,
// i < n, the product rounded before the sum (no fused multiply-add); with
// relu, it then sets 0 where that is below 0, as Relu does. One call
// covers a channel of an [N, C, inner] tensor (rows N, stride C·inner).
func ScaleAddRows(dst, src []float32, rows, n, stride int, s, b float32, relu bool) {
	floor := float32(math.Inf(-1))
	if relu {
		floor = 0
	}
	scaleAddRows(dst, stride, src, stride, rows, n, s, b, floor)
}

// scaleAddRows is dst[r·dstride+i] = max(floor, s·src[r·sstride+i] + b),
// the product rounded before the sum, for r < rows, i < n; below floor
// means y < floor, so NaN and −0 pass a floor of 0.
func scaleAddRows(dst []float32, dstride int, src []float32, sstride, rows, n int, s, b, floor float32) {
	if scaleAddRowsFast(dst, dstride, src, sstride, rows, n, s, b, floor) {
		return
	}
	for r := range rows {
		d, x := dst[r*dstride:][:n], src[r*sstride:][:n]
		for i, v := range x {
			y := float32(s*v) + b
			if y < floor {
				y = floor
			}
			d[i] = y
		}
	}
}

// Relu sets dst[i] = src[i], or 0 where src[i] < 0 (NaN and −0 pass).
func Relu(dst, src []float32) {
	src = src[:len(dst)]
	done := reluFast(dst, src)
	for i, v := range src[done:] {
		if v < 0 {
			v = 0
		}
		dst[done+i] = v
	}
}

// ZeroOutside sets dy[i] = 0 where ref[i] is not strictly between lo and
// hi (NaN is not): the backward pass of ReLU and Clip.
func ZeroOutside(dy, ref []float32, lo, hi float32) {
	ref = ref[:len(dy)]
	done := zeroOutsideFast(dy, ref, lo, hi)
	for i, r := range ref[done:] {
		if !(r > lo && r < hi) {
			dy[done+i] = 0
		}
	}
}

// scaleAddRow is dst[i] = s·src[i] + b (a product, then a sum).
func scaleAddRow(dst, src []float32, s, b float32) {
	scaleAddRows(dst, 0, src, 0, 1, len(dst), s, b, float32(math.Inf(-1)))
}

// MaskInRange sets bit j of mask[w] (least significant first) to
// lo < x[64w+j] < hi (false for NaN), for the ⌈len(x)/64⌉ words it covers;
// bits past len(x) are 0. It packs the exact ReLU and Clip masks that a
// compressing tape keeps for backward.
func MaskInRange(mask []uint64, x []float32, lo, hi float32) {
	words := (len(x) + 63) / 64
	mask = mask[:words]
	done := maskInRangeFast(mask, x, lo, hi) // whole words
	for w := done; w < words; w++ {
		var acc uint64
		for j, v := range x[w*64 : min(w*64+64, len(x))] {
			if v > lo && v < hi {
				acc |= 1 << uint(j)
			}
		}
		mask[w] = acc
	}
}

// ZeroUnmasked sets dy[i] = 0 where bit i of mask (64 to a word, least
// significant first) is 0.
func ZeroUnmasked(dy []float32, mask []uint64) {
	mask = mask[:(len(dy)+63)/64]
	done := zeroUnmaskedFast(dy, mask) // whole words
	for w := done; w < len(mask); w++ {
		bits := mask[w]
		for j := range dy[w*64 : min(w*64+64, len(dy))] {
			if bits>>uint(j)&1 == 0 {
				dy[w*64+j] = 0
			}
		}
	}
}
