package dataset

import "math"

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

// taps are the source pixels each output pixel of a side blends, n per
// output: output k is the sum over j of w[k*n+j] times source pixel
// idx[k*n+j]. Indices never decrease, along j or k.
type taps struct {
	n   int
	idx []int
	w   []float32
}

// bilinearTaps are the taps of outputs [from, from+count) when in pixels
// become out, at half-pixel centers: source (dst+0.5)*in/out-0.5, clamped
// at 0, blends its two neighbours, as PyTorch's bilinear interpolation with
// align_corners=False. Shrinking with antialias widens the filter instead
// (antialiasTaps).
func bilinearTaps(in, out, from, count int, antialias bool) taps {
	scale := float32(in) / float32(out)
	if antialias && scale > 1 {
		return antialiasTaps(in, out, from, count)
	}
	t := taps{n: 2, idx: make([]int, 2*count), w: make([]float32, 2*count)}
	for k := range count {
		src := max(scale*(float32(from+k)+0.5)-0.5, 0)
		i0 := int(src)
		l := src - float32(i0)
		t.idx[2*k], t.idx[2*k+1] = i0, min(i0+1, in-1)
		t.w[2*k], t.w[2*k+1] = 1-l, l
	}
	return t
}

// antialiasTaps are the taps of a shrink by in/out > 1 that averages every
// source pixel an output pixel covers: the triangle filter of bilinear
// interpolation stretched by in/out, its weights normalized over the
// pixels inside the image. This is PIL's resize (torchvision's Resize of a
// PIL image) and torchvision's Resize(antialias=True) of a tensor.
func antialiasTaps(in, out, from, count int) taps {
	scale := float64(in) / float64(out)
	n := int(math.Ceil(scale))*2 + 1 // the most pixels a window of 2*scale can touch
	t := taps{n: n, idx: make([]int, n*count), w: make([]float32, n*count)}
	for k := range count {
		center := (float64(from+k) + 0.5) * scale
		lo := max(int(center-scale+0.5), 0)
		hi := min(int(center+scale+0.5), in)
		var sum float64
		ws := make([]float64, hi-lo)
		for i := range ws {
			ws[i] = max(0, 1-math.Abs((float64(lo+i)-center+0.5)/scale))
			sum += ws[i]
		}
		for j := range n {
			i := min(j, len(ws)-1) // pad with weight 0 at the last pixel: indices stay in order
			t.idx[k*n+j] = lo + i
			if j < len(ws) && sum > 0 {
				t.w[k*n+j] = float32(ws[j] / sum)
			}
		}
	}
	return t
}

// resize fills out with the window of the resize, separably: each source
// row the window needs is blended across (horizontal taps) once, then
// output rows blend those rows (vertical taps). With two taps the products
// and sums are the same, in the same order, as blending the four
// neighbours of each output pixel directly.
func (g geometry) resize(out []float32, img Image) {
	s := img.Shape
	ty := bilinearTaps(s.H, g.rh, g.top, g.h, g.antialias)
	tx := bilinearTaps(s.W, g.rw, g.left, g.w, g.antialias)
	r0, r1 := ty.idx[0], ty.idx[len(ty.idx)-1] // source rows the window reads
	rows := make([]float32, (r1-r0+1)*g.w)
	for c := range s.C {
		for r := r0; r <= r1; r++ {
			blendRow(rows[(r-r0)*g.w:(r-r0+1)*g.w], img, (c*s.H+r)*s.W, tx)
		}
		for y := range g.h {
			idx, w := ty.idx[y*ty.n:(y+1)*ty.n], ty.w[y*ty.n:(y+1)*ty.n]
			dst := out[(c*g.h+y)*g.w : (c*g.h+y+1)*g.w]
			first := rows[(idx[0]-r0)*g.w:]
			for x := range dst {
				dst[x] = w[0] * first[x]
			}
			for j := 1; j < ty.n; j++ {
				row := rows[(idx[j]-r0)*g.w:]
				for x := range dst {
					dst[x] += w[j] * row[x]
				}
			}
		}
	}
}

// blendRow writes the horizontal taps of the source row at offset i (the
// pixel type tested once per row, not per tap: this runs for every row of
// every image resized).
func blendRow(dst []float32, img Image, i int, tx taps) {
	n, idx, w := tx.n, tx.idx, tx.w
	if img.U8 == nil {
		row := img.F32[i:]
		for x := range dst {
			k := x * n
			v := w[k] * row[idx[k]]
			for j := k + 1; j < k+n; j++ {
				v += w[j] * row[idx[j]]
			}
			dst[x] = v
		}
		return
	}
	row := img.U8[i:]
	for x := range dst {
		k := x * n
		v := w[k] * u8f[row[idx[k]]]
		for j := k + 1; j < k+n; j++ {
			v += w[j] * u8f[row[idx[j]]]
		}
		dst[x] = v
	}
}
