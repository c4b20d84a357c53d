package dataset

import "image"

// jpegToCHW converts a JPEG's YCbCr to RGB as libjpeg(-turbo) does by
// default, and so PIL and torchvision's ImageFolder: subsampled chroma is
// upsampled with libjpeg's "fancy" triangle filter (jdsample.c: 4:2:0 and
// 4:2:2 when the chroma is wider than 2 samples, 4:4:0 always; replicated
// otherwise), then converted with its integer tables (jdcolor.c). Go's
// image/jpeg replicates each chroma sample instead, which moved pixels at
// color edges of a 4:2:0 JPEG (what PIL and most cameras write) by up to a
// fifth of the range from what the model was trained on.
func jpegToCHW(out Image, m *image.YCbCr) {
	w, h, b := out.W, out.H, m.Rect
	var cb, cr []uint8
	if out.C == 3 {
		cb, cr = upsampleChroma(m, m.Cb, w, h), upsampleChroma(m, m.Cr, w, h)
	}
	n := w * h
	for y := range h {
		yrow := m.Y[m.YOffset(b.Min.X, b.Min.Y+y):][:w]
		if out.C != 3 {
			copy(out.U8[y*w:], yrow)
			continue
		}
		for x, v := range yrow {
			i := y*w + x
			out.U8[i], out.U8[n+i], out.U8[2*n+i] = jpegRGB(int(v), int(cb[i]), int(cr[i]))
		}
	}
}

// jpegRGB is libjpeg's ycc_rgb_convert: the factors times 2^16 rounded
// (FIX), products rounded (ONE_HALF) and shifted arithmetically.
func jpegRGB(y, cb, cr int) (uint8, uint8, uint8) {
	const half = 1 << 15
	x, z := cb-128, cr-128
	r := y + (91881*z+half)>>16
	g := y + (-22554*x+half-46802*z)>>16
	bl := y + (116130*x+half)>>16
	return clamp8(r), clamp8(g), clamp8(bl)
}

func clamp8(v int) uint8 { return uint8(min(max(v, 0), 255)) }

// upsampleChroma is plane (m's Cb or Cr) at w×h, upsampled as libjpeg
// does. Chroma sample (cx, cy) lies at cy*CStride+cx from the image's
// first; the rows and columns beyond the image's ceil(w/hs)×ceil(h/vs)
// samples are not read: libjpeg repeats the edge ones.
func upsampleChroma(m *image.YCbCr, plane []uint8, w, h int) []uint8 {
	hs, vs := chromaFactors(m.SubsampleRatio)
	cw, ch := (w+hs-1)/hs, (h+vs-1)/vs
	c0 := m.COffset(m.Rect.Min.X, m.Rect.Min.Y)
	row := func(cy int) []uint8 { cy = min(max(cy, 0), ch-1); return plane[c0+cy*m.CStride:][:cw] }
	out := make([]uint8, w*h)
	sum := make([]int, cw)
	for y := range h {
		dst, cur := out[y*w:(y+1)*w], row(y/vs)
		near := cur // the nearer neighbouring chroma row, for vertical filtering
		if vs == 2 {
			near = row(y/2 - 1 + 2*(y%2))
		}
		switch {
		case hs == 2 && vs == 2 && cw > 2: // h2v2_fancy_upsample
			for j := range sum {
				sum[j] = 3*int(cur[j]) + int(near[j])
			}
			pairs(dst, sum, 4, 8, 7)
		case hs == 2 && vs == 1 && cw > 2: // h2v1_fancy_upsample
			for j := range sum {
				sum[j] = int(cur[j])
			}
			pairs(dst, sum, 2, 1, 2)
		case hs == 1 && vs == 2: // h1v2_fancy_upsample
			for x := range dst {
				dst[x] = uint8((3*int(cur[x]) + int(near[x]) + 1 + y%2) >> 2)
			}
		default: // 4:4:4, or replicated as libjpeg's int_upsample
			for x := range dst {
				dst[x] = cur[x/hs]
			}
		}
	}
	return out
}

// pairs writes the two outputs of each sample of sum into dst, weighting it
// 3:1 with its left and its right neighbour (the edge samples repeated:
// libjpeg's first and last columns), rounded with the biases even and odd
// and shifted right by shift.
func pairs(dst []uint8, sum []int, shift uint, even, odd int) {
	last := len(sum) - 1
	for j, s := range sum {
		l, r := sum[max(j-1, 0)], sum[min(j+1, last)]
		dst[2*j] = uint8((3*s + l + even) >> shift)
		if 2*j+1 < len(dst) {
			dst[2*j+1] = uint8((3*s + r + odd) >> shift)
		}
	}
}

// chromaFactors is how many luma samples one chroma sample spans,
// horizontally and vertically.
func chromaFactors(r image.YCbCrSubsampleRatio) (hs, vs int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}
