package dataset

import "image"

// webpToCHW converts a lossy WebP's YCbCr (4:2:0, studio range) to RGB as
// libwebp does by default, and so PIL: each chroma sample pair upsampled
// with libwebp's "fancy" bilinear filter (dsp/upsampling.c, rows paired
// as io_dec.c's EmitFancyRGB pairs them), then vp8ToRGB. Repeating each
// chroma sample instead moved pixels at colour edges by up to 77 of 255
// levels from what PIL gives.
func webpToCHW(out Image, m *image.YCbCr) {
	w, h, b := out.W, out.H, m.Rect
	cw, ch := (w+1)/2, (h+1)/2
	c0 := m.COffset(b.Min.X, b.Min.Y)
	row := func(plane []uint8, cy int) []uint8 {
		cy = min(max(cy, 0), ch-1)
		return plane[c0+cy*m.CStride:][:cw]
	}
	u, v := make([]uint8, w), make([]uint8, w)
	n := w * h
	for y := range h {
		// Output row y takes 3/4 of chroma row y/2 (main) and 1/4 of the
		// row beyond it on its side (other), the edges repeated.
		other := y/2 - 1 + 2*(y%2)
		webpUpsampleRow(u, row(m.Cb, y/2), row(m.Cb, other))
		webpUpsampleRow(v, row(m.Cr, y/2), row(m.Cr, other))
		yrow := m.Y[m.YOffset(b.Min.X, b.Min.Y+y):][:w]
		for x, l := range yrow {
			i := y*w + x
			r, g, bl := vp8ToRGB(l, u[x], v[x])
			out.U8[i] = r
			if out.C == 3 {
				out.U8[n+i], out.U8[2*n+i] = g, bl
			}
		}
	}
}

// webpUpsampleRow is libwebp's UpsampleRgbLinePair for one output row:
// main is the chroma row nearer to it, other the one beyond.
func webpUpsampleRow(dst, main, other []uint8) {
	w := len(dst)
	dst[0] = uint8((3*int(main[0]) + int(other[0]) + 2) >> 2)
	last := (w - 1) >> 1
	for x := 1; x <= last; x++ {
		m0, m1, o0, o1 := int(main[x-1]), int(main[x]), int(other[x-1]), int(other[x])
		avg := m0 + m1 + o0 + o1 + 8
		dst[2*x-1] = uint8((((avg + 2*(m1+o0)) >> 3) + m0) >> 1)
		dst[2*x] = uint8((((avg + 2*(m0+o1)) >> 3) + m1) >> 1)
	}
	if w%2 == 0 {
		dst[w-1] = uint8((3*int(main[last]) + int(other[last]) + 2) >> 2)
	}
}
