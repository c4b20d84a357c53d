package dataset

import (
	"image"
	"image/color"
)

// toCHW converts m, decoded from a file of format (image.Decode's name
// for it), to planar bytes with c channels (1 or 3). Color is taken
// non-premultiplied, as PIL's convert("RGB") does; alpha is dropped. The
// common decoder outputs (gray, YCbCr JPEG and WebP, RGBA, NRGBA and
// 16-bit NRGBA PNG, CMYK JPEG) are read directly from their pixel buffers; anything else goes through
// the color model, pixel by pixel. A JPEG's and a lossy WebP's subsampled
// chroma is filtered as libjpeg and libwebp, and so PIL, do (jpegToCHW,
// webpToCHW), not repeated as image.YCbCr's color model does; a lossy
// WebP's YCbCr is studio range (vp8ToRGB), not the full range of JPEG's
// that model assumes.
func toCHW(m image.Image, c int, format string) Image {
	b := m.Bounds()
	out := Image{Shape: Shape{c, b.Dy(), b.Dx()}, U8: make([]uint8, c*b.Dy()*b.Dx())}
	switch m := m.(type) {
	case *image.Gray:
		grayToCHW(out, m)
	case *image.YCbCr:
		switch format {
		case "jpeg":
			jpegToCHW(out, m)
		case "webp":
			webpToCHW(out, m)
		default:
			ycbcrToCHW(out, m)
		}
	case *image.NYCbCrA: // a lossy WebP with alpha
		webpToCHW(out, &m.YCbCr)
	case *image.NRGBA:
		rgbaToCHW(out, m.Pix, m.Stride, false)
	case *image.RGBA:
		rgbaToCHW(out, m.Pix, m.Stride, true)
	case *image.NRGBA64: // 16-bit RGBA and gray+alpha PNG, TIFF
		nrgba64ToCHW(out, m)
	case *image.CMYK: // a CMYK or YCCK JPEG
		cmykToCHW(out, m)
	default:
		modelToCHW(out, m)
	}
	return out
}

// set writes pixel (x, y) of out: three channels, or their first for gray.
func set(out Image, x, y int, r, g, b uint8) {
	n, i := out.H*out.W, y*out.W+x
	out.U8[i] = r
	if out.C == 3 {
		out.U8[n+i], out.U8[2*n+i] = g, b
	}
}

func grayToCHW(out Image, m *image.Gray) {
	n := out.H * out.W
	for y := range out.H {
		row := m.Pix[y*m.Stride : y*m.Stride+out.W]
		for ch := range out.C {
			copy(out.U8[ch*n+y*out.W:], row)
		}
	}
}

// ycbcrToCHW converts YCbCr planes (of no format read with its own
// filter) row by row as color.YCbCrToRGB does, with the chroma column of
// each x looked up once per image.
func ycbcrToCHW(out Image, m *image.YCbCr) {
	n, b := out.H*out.W, m.Rect
	cx := make([]int, out.W)
	for x := range cx {
		cx[x] = m.COffset(b.Min.X+x, b.Min.Y) - m.COffset(b.Min.X, b.Min.Y)
	}
	g, bl := make([]uint8, out.W), make([]uint8, out.W) // one channel: dropped
	for y := range out.H {
		yi, ci := m.YOffset(b.Min.X, b.Min.Y+y), m.COffset(b.Min.X, b.Min.Y+y)
		yrow, cb, cr := m.Y[yi:yi+out.W], m.Cb[ci:], m.Cr[ci:]
		dst := out.U8[y*out.W : (y+1)*out.W]
		if out.C == 3 {
			g, bl = out.U8[n+y*out.W:n+(y+1)*out.W], out.U8[2*n+y*out.W:2*n+(y+1)*out.W]
		}
		for x, v := range yrow {
			dst[x], g[x], bl[x] = color.YCbCrToRGB(v, cb[cx[x]], cr[cx[x]])
		}
	}
}

// vp8ToRGB converts VP8's (lossy WebP's) YCbCr, BT.601 in studio range
// (Y in 16..235, Cb and Cr in 16..240), to RGB as libwebp does, and so
// PIL: R = 1.164(Y-16) + 1.596(Cr-128), G = 1.164(Y-16) - 0.391(Cb-128) -
// 0.813(Cr-128), B = 1.164(Y-16) + 2.018(Cb-128), with the coefficients
// times 2^14 rounded, the products truncated to 6 fractional bits and the
// result clamped. Read as full range, white would come out 235 and black
// 16.
func vp8ToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	l := int(y) * 19077 >> 8
	r := l + int(cr)*26149>>8 - 14234
	g := l - int(cb)*6419>>8 - int(cr)*13320>>8 + 8708
	b := l + int(cb)*33050>>8 - 17685
	return clip6(r), clip6(g), clip6(b)
}

// clip6 is v with 6 fractional bits dropped, clamped to a byte.
func clip6(v int) uint8 { return uint8(min(max(v>>6, 0), 255)) }

// rgbaToCHW reads 8-bit RGBA rows; premultiplied pixels that are not
// opaque are converted as color.NRGBAModel does.
func rgbaToCHW(out Image, pix []uint8, stride int, premul bool) {
	for y := range out.H {
		row := pix[y*stride:]
		for x := range out.W {
			p := row[4*x : 4*x+4 : 4*x+4]
			r, g, b := p[0], p[1], p[2]
			if premul && p[3] != 0xff {
				n := color.NRGBAModel.Convert(color.RGBA{p[0], p[1], p[2], p[3]}).(color.NRGBA)
				r, g, b = n.R, n.G, n.B
			}
			set(out, x, y, r, g, b)
		}
	}
}

// nrgba64ToCHW takes the high byte of each 16-bit sample, as PIL reads
// them (rawmode RGBA;16B), whatever the alpha: through the colour model the
// samples would be premultiplied and divided back, which loses their colour
// where alpha is low and all of it (black) where it is 0.
func nrgba64ToCHW(out Image, m *image.NRGBA64) {
	for y := range out.H {
		row := m.Pix[y*m.Stride:]
		for x := range out.W {
			p := row[8*x : 8*x+8 : 8*x+8]
			set(out, x, y, p[0], p[2], p[4])
		}
	}
}

// cmykToCHW converts CMYK as PIL's cmyk2rgb does, (255-k) - c(255-k)/255
// with the product rounded; color.CMYK's conversion truncates at 16 bits,
// a level darker than PIL in about a third of the samples.
func cmykToCHW(out Image, m *image.CMYK) {
	for y := range out.H {
		row := m.Pix[y*m.Stride:]
		for x := range out.W {
			p := row[4*x : 4*x+4 : 4*x+4]
			nk := 255 - int(p[3])
			v := func(c uint8) uint8 {
				t := int(c)*nk + 128
				return uint8(nk - ((t>>8)+t)>>8)
			}
			set(out, x, y, v(p[0]), v(p[1]), v(p[2]))
		}
	}
}

func modelToCHW(out Image, m image.Image) {
	b := m.Bounds()
	for y := range out.H {
		for x := range out.W {
			n := color.NRGBAModel.Convert(m.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			set(out, x, y, n.R, n.G, n.B)
		}
	}
}
