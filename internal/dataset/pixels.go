package dataset

import (
	"image"
	"image/color"
)

// toCHW converts m to planar bytes with c channels (1 or 3). Color is taken
// non-premultiplied, as PIL's convert("RGB") does; alpha is dropped. The
// common decoder outputs (gray, YCbCr JPEG, RGBA and NRGBA PNG) are read
// directly from their pixel buffers; anything else goes through the color
// model, pixel by pixel.
func toCHW(m image.Image, c int) Image {
	b := m.Bounds()
	out := Image{Shape: Shape{c, b.Dy(), b.Dx()}, U8: make([]uint8, c*b.Dy()*b.Dx())}
	switch m := m.(type) {
	case *image.Gray:
		grayToCHW(out, m)
	case *image.YCbCr:
		ycbcrToCHW(out, m)
	case *image.NRGBA:
		rgbaToCHW(out, m.Pix, m.Stride, false)
	case *image.RGBA:
		rgbaToCHW(out, m.Pix, m.Stride, true)
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

// ycbcrToCHW converts a JPEG's YCbCr planes row by row, with the chroma
// column of each x looked up once per image, as color.YCbCrToRGB does.
func ycbcrToCHW(out Image, m *image.YCbCr) {
	n, b := out.H*out.W, m.Rect
	cx := make([]int, out.W)
	for x := range cx {
		cx[x] = m.COffset(b.Min.X+x, b.Min.Y) - m.COffset(b.Min.X, b.Min.Y)
	}
	for y := range out.H {
		yi, ci := m.YOffset(b.Min.X, b.Min.Y+y), m.COffset(b.Min.X, b.Min.Y+y)
		yrow, cb, cr := m.Y[yi:yi+out.W], m.Cb[ci:], m.Cr[ci:]
		dst := out.U8[y*out.W : (y+1)*out.W]
		if out.C == 1 {
			for x, v := range yrow {
				dst[x], _, _ = color.YCbCrToRGB(v, cb[cx[x]], cr[cx[x]])
			}
			continue
		}
		g, bl := out.U8[n+y*out.W:n+(y+1)*out.W], out.U8[2*n+y*out.W:2*n+(y+1)*out.W]
		for x, v := range yrow {
			dst[x], g[x], bl[x] = color.YCbCrToRGB(v, cb[cx[x]], cr[cx[x]])
		}
	}
}

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

func modelToCHW(out Image, m image.Image) {
	b := m.Bounds()
	for y := range out.H {
		for x := range out.W {
			n := color.NRGBAModel.Convert(m.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			set(out, x, y, n.R, n.G, n.B)
		}
	}
}
