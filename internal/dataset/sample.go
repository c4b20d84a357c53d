package dataset

// u8f maps a byte to float32(v) / 255, torchvision's ToTensor scale.
var u8f = func() (t [256]float32) {
	for v := range t {
		t[v] = float32(v) / 255
	}
	return t
}()

// sample returns the g.h×g.w window at (g.top, g.left) of img resized to
// g.rh×g.rw, every channel, on the [0,1] scale (steps 1-3 of Preprocess),
// 0 where the window reaches past the image. Only the window is computed:
// for a crop of a resize, the source rows and columns outside it are never
// read.
func (g geometry) sample(img Image) []float32 {
	if g.top < 0 || g.left < 0 || g.top+g.h > g.rh || g.left+g.w > g.rw {
		return g.padded(img)
	}
	s := img.Shape
	out := make([]float32, s.C*g.h*g.w)
	if g.rh == s.H && g.rw == s.W {
		for c := range s.C {
			for y := range g.h {
				i := (c*s.H+g.top+y)*s.W + g.left
				toFloatRow(out[(c*g.h+y)*g.w:(c*g.h+y+1)*g.w], img, i)
			}
		}
		return out
	}
	g.resize(out, img)
	return out
}

// padded samples the part of the window inside the image and places it in
// a window of zeros.
func (g geometry) padded(img Image) []float32 {
	in := g
	in.top, in.left = max(g.top, 0), max(g.left, 0)
	in.h = min(g.top+g.h, g.rh) - in.top
	in.w = min(g.left+g.w, g.rw) - in.left
	out := make([]float32, img.C*g.h*g.w)
	if in.h <= 0 || in.w <= 0 {
		return out
	}
	part := in.sample(img)
	dy, dx := in.top-g.top, in.left-g.left
	for c := range img.C {
		for y := range in.h {
			copy(out[(c*g.h+dy+y)*g.w+dx:], part[(c*in.h+y)*in.w:(c*in.h+y+1)*in.w])
		}
	}
	return out
}

// toFloatRow converts len(dst) pixels of img from offset i.
func toFloatRow(dst []float32, img Image, i int) {
	if img.U8 == nil {
		copy(dst, img.F32[i:])
		return
	}
	for x, v := range img.U8[i : i+len(dst)] {
		dst[x] = u8f[v]
	}
}

// tap is one output coordinate of a bilinear resize: the two source
// coordinates it blends and the weight of the second.
type tap struct {
	i0, i1 int
	l      float32
}

// taps are the source coordinates of outputs [from, from+n) when in pixels
// become out. Source coordinates use half-pixel centers,
// (dst+0.5)*in/out-0.5 clamped at 0, as PyTorch's bilinear interpolation
// with align_corners=False.
func taps(in, out, from, n int) []tap {
	t := make([]tap, n)
	scale := float32(in) / float32(out)
	for k := range t {
		src := max(scale*(float32(from+k)+0.5)-0.5, 0)
		i0 := int(src)
		t[k] = tap{i0, min(i0+1, in-1), src - float32(i0)}
	}
	return t
}

// resize fills out with the window of the bilinear resize, separably: each
// source row the window needs is blended across (horizontal taps) once,
// then output rows blend two of those (vertical taps). The products and
// sums are the same, in the same order, as blending the four neighbours
// of each output pixel directly.
func (g geometry) resize(out []float32, img Image) {
	s := img.Shape
	ty, tx := taps(s.H, g.rh, g.top, g.h), taps(s.W, g.rw, g.left, g.w)
	r0, r1 := ty[0].i0, ty[len(ty)-1].i1 // source rows the window reads
	rows := make([]float32, (r1-r0+1)*g.w)
	for c := range s.C {
		for r := r0; r <= r1; r++ {
			blendRow(rows[(r-r0)*g.w:(r-r0+1)*g.w], img, (c*s.H+r)*s.W, tx)
		}
		for y, a := range ty {
			top, bot := rows[(a.i0-r0)*g.w:], rows[(a.i1-r0)*g.w:]
			dst := out[(c*g.h+y)*g.w : (c*g.h+y+1)*g.w]
			for x := range dst {
				dst[x] = (1-a.l)*top[x] + a.l*bot[x]
			}
		}
	}
}

// blendRow writes the horizontal taps of the source row at offset i.
func blendRow(dst []float32, img Image, i int, tx []tap) {
	if img.U8 == nil {
		row := img.F32[i:]
		for x, b := range tx {
			dst[x] = (1-b.l)*row[b.i0] + b.l*row[b.i1]
		}
		return
	}
	row := img.U8[i:]
	for x, b := range tx {
		dst[x] = (1-b.l)*u8f[row[b.i0]] + b.l*u8f[row[b.i1]]
	}
}
