//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

//go:noescape
func winoSplitAVX512(n, k, m int, coef, src *float32, sstride int, dst *float32, dstride int, masks *uint16, seg int)

//go:noescape
func winoMergeAVX512(n int, coef, src *float32, pstride int, dst *float32, dstride int, masks *uint16, seg int)

//go:noescape
func winoSplitAVX2(n, k, m int, coef, src *float32, sstride int, dst *float32, dstride int, masks *uint16, seg, kept int, perm *int32)

//go:noescape
func winoMergeAVX2(n int, coef, src *float32, pstride int, dst *float32, dstride int, masks *uint16, seg, kept int, expand *int32)

// winoAVX2 reports whether the AVX2 bodies of the transforms run here
// (they count a block's tiles with POPCNT).
var winoAVX2 = hasAVX2 && cpu.X86.HasPOPCNT

// winoSplitFast and winoMergeFast are the AVX-512 or AVX2 bodies of
// winoSplit and winoMerge, run when they report true; the callers have
// checked the slices' lengths.
func winoSplitFast(n, k, m int, coef, src []float32, sstride int, dst []float32, dstride int, seg int) bool {
	masks := segMasks(seg)
	switch {
	case useAVX512:
		winoSplitAVX512(n, k, m, &coef[0], &src[0], sstride, &dst[0], dstride, &masks[0], seg)
	case winoAVX2:
		winoSplitAVX2(n, k, m, &coef[0], &src[0], sstride, &dst[0], dstride, &masks[0], seg, kept(n, seg), &lanePack[0][0])
	default:
		return false
	}
	return true
}

func winoMergeFast(n int, coef, src []float32, pstride int, dst []float32, dstride int, seg int) bool {
	masks := segMasks(seg)
	switch {
	case useAVX512:
		winoMergeAVX512(n, &coef[0], &src[0], pstride, &dst[0], dstride, &masks[0], seg)
	case winoAVX2:
		winoMergeAVX2(n, &coef[0], &src[0], pstride, &dst[0], dstride, &masks[0], seg, kept(n, seg), &laneExpand[0][0])
	default:
		return false
	}
	return true
}

// lanePack[b] and laneExpand[b] are the VPERMPS indexes that move the
// lanes of the 8-bit mask b to the low lanes, in order, and back (the
// AVX2 stand-ins for VCOMPRESSPS and VEXPANDPS; other lanes take lane 0).
var lanePack, laneExpand = func() (pack, expand [256][8]int32) {
	for b := range 256 {
		r := int32(0)
		for l := range 8 {
			if b>>l&1 != 0 {
				pack[b][r], expand[b][l] = int32(l), r
				r++
			}
		}
	}
	return
}()

// segMasks is, for each phase ph < seg of a block's first tile in its
// segment, the 16-bit mask of the block's kept tiles (those not at phase
// seg−1); one mask with every tile for seg 0.
func segMasks(seg int) []uint16 {
	if seg < len(segMaskTable) {
		return segMaskTable[seg][:max(seg, 1)]
	}
	masks := make([]uint16, seg)
	fillSegMasks(masks, seg)
	return masks
}

// segMaskTable holds segMasks for segments of up to 64 tiles (a plane of
// up to 252 columns), so that calls do not allocate.
var segMaskTable = func() (t [65][64]uint16) {
	for seg := range t {
		fillSegMasks(t[seg][:max(seg, 1)], seg)
	}
	return t
}()

func fillSegMasks(masks []uint16, seg int) {
	for ph := range masks {
		for l := range 16 {
			if seg == 0 || (ph+l)%seg != seg-1 {
				masks[ph] |= 1 << l
			}
		}
	}
}

//go:noescape
func linRowsAVX512(n, m, k int, coef, src *float32, soffs *int, dst *float32, doffs *int)

//go:noescape
func linRowsAVX2(n, m, k int, coef, src *float32, soffs *int, dst *float32, doffs *int)

// linRowsFast is linRows's AVX-512 or AVX2 body; the caller has checked
// the offsets against the slices.
func linRowsFast(n int, coef, src []float32, soffs []int, dst []float32, doffs []int) bool {
	switch {
	case useAVX512:
		linRowsAVX512(n, len(doffs), len(soffs), &coef[0], &src[0], &soffs[0], &dst[0], &doffs[0])
	case winoAVX2:
		linRowsAVX2(n, len(doffs), len(soffs), &coef[0], &src[0], &soffs[0], &dst[0], &doffs[0])
	default:
		return false
	}
	return true
}

func init() {
	// Without AVX-512 the chunks are smaller: on an AVX2 EPYC (512 KiB of
	// L2 a core), 4 MiB chunks ran ResNet-20's 32- and 64-channel layers'
	// three passes 7-10% faster than 16 MiB ones. The chunks change no
	// bits: each image's outputs are its own, and the filter gradient's
	// sums run through the chunks' tiles in the same order.
	if !hasAVX512 {
		winoChunkBytes = 4 << 20
	}
}
