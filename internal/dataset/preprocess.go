package dataset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// Preprocess turns a decoded image into a model's float32 input, in this
// order:
//
//  1. pixels to float32 (8-bit values divided by 255; float pixels are
//     taken as already on that scale), as torchvision's ToTensor does;
//  2. Resize, bilinear with half-pixel centers
//     (torch.nn.functional.interpolate, align_corners=False): [h, w] exactly,
//     or [s] to make the shorter side s, the longer int(s*long/short); with
//     Antialias a side it shrinks averages every source pixel an output
//     pixel covers (the bilinear filter stretched by the shrink factor), as
//     PIL's resize and torchvision's Resize(antialias=True) do;
//  3. CenterCrop [h, w] or [s] (s×s), offsets rounded half to even as
//     torchvision does; a crop larger than the image pads it with black
//     (0 before normalization) up to the crop size, as torchvision's
//     CenterCrop does: (crop-size)/2 rounded down before, the rest after;
//  4. Channels 3 replicates a one-channel image, as PIL's convert("RGB");
//     Channels 1 turns a three-channel image to luma, as torchvision's
//     Grayscale (PIL's convert("L") for 8-bit pixels, rgb_to_grayscale's
//     0.2989, 0.587, 0.114 for float ones); any other count demands that
//     many (RGBA, RGB-D or multispectral x.npy data give 2, 4 or more; 0
//     keeps what the data has); ChannelOrder "BGR" reverses three channels;
//  5. (training only: the Augment steps);
//  6. (x - Mean[c]) / Std[c] per channel; one value applies to every
//     channel, none means mean 0 and std 1;
//  7. written in Layout order: "NCHW" (or empty: channel planes) or "NHWC"
//     (channels interleaved per pixel, as TensorFlow-trained models take).
//
// Only the pixels the crop keeps are resized, and steps 4 to 7 are one pass
// over the output. Its JSON form (Marshal, ParsePreprocess) is what .bnn
// metadata records.
// maxChannels bounds a preprocessing's channel count (it comes from .bnn
// metadata too): far above any image model's input.
const maxChannels = 1 << 12

type Preprocess struct {
	Resize       []int     `json:"resize,omitempty"`
	Antialias    bool      `json:"antialias,omitempty"` // of Resize; absent in records before it, which did not antialias
	CenterCrop   []int     `json:"center_crop,omitempty"`
	Channels     int       `json:"channels,omitempty"`
	ChannelOrder string    `json:"channel_order,omitempty"` // "" or "RGB": as stored; "BGR": reversed
	Mean         []float32 `json:"mean,omitempty"`
	Std          []float32 `json:"std,omitempty"`
	Layout       string    `json:"layout,omitempty"` // "" or "NCHW"; "NHWC"
}

// The two input layouts (Preprocess.Layout, Batch.Layout).
const (
	NCHW = "NCHW"
	NHWC = "NHWC"
)

// preprocessVersion is the version of the JSON form.
const preprocessVersion = 1

type preprocessJSON struct {
	Version int `json:"version"`
	Preprocess
}

// Marshal is p's canonical JSON form, for example
// {"version":1,"channels":3,"mean":[0.286],"std":[0.353]}.
func (p Preprocess) Marshal() string {
	b, _ := json.Marshal(preprocessJSON{preprocessVersion, p}) // cannot fail: plain fields
	return string(b)
}

// ParsePreprocess parses Marshal's output. Unknown fields, another version
// and invalid settings are errors.
func ParsePreprocess(s string) (Preprocess, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.DisallowUnknownFields()
	var w preprocessJSON
	if err := dec.Decode(&w); err != nil {
		return Preprocess{}, fmt.Errorf("dataset: preprocessing %q: %w", s, err)
	}
	if dec.More() {
		return Preprocess{}, fmt.Errorf("dataset: preprocessing %q: trailing data", s)
	}
	if w.Version != preprocessVersion {
		return Preprocess{}, fmt.Errorf("dataset: preprocessing version %d, want %d", w.Version, preprocessVersion)
	}
	return w.Preprocess, w.Preprocess.Validate()
}

// Validate checks the settings that do not depend on the image.
func (p Preprocess) Validate() error {
	for _, s := range []struct {
		name string
		v    []int
	}{{"resize", p.Resize}, {"center crop", p.CenterCrop}} {
		if len(s.v) > 2 || (len(s.v) > 0 && (min(s.v[0], s.v[len(s.v)-1]) <= 0 || max(s.v[0], s.v[len(s.v)-1]) > maxSide)) {
			return fmt.Errorf("dataset: %s %v: want one or two sizes in [1,%d]", s.name, s.v, maxSide)
		}
	}
	if p.Antialias && len(p.Resize) == 0 {
		return fmt.Errorf("dataset: antialias without a resize")
	}
	if p.Channels < 0 || p.Channels > maxChannels {
		return fmt.Errorf("dataset: channels %d: want 0 to %d", p.Channels, maxChannels)
	}
	if p.ChannelOrder != "" && p.ChannelOrder != "RGB" && p.ChannelOrder != "BGR" {
		return fmt.Errorf("dataset: channel order %q: want RGB or BGR", p.ChannelOrder)
	}
	if p.ChannelOrder == "BGR" && p.Channels != 0 && p.Channels != 3 {
		// known before any image: refused then, not at the first image
		return fmt.Errorf("dataset: channel order BGR reverses three channels, and the model takes %d-channel images", p.Channels)
	}
	if p.Layout != "" && p.Layout != NCHW && p.Layout != NHWC {
		return fmt.Errorf("dataset: layout %q: want NCHW or NHWC", p.Layout)
	}
	for _, v := range p.Mean {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("dataset: mean %v is not finite", p.Mean)
		}
	}
	for _, v := range p.Std {
		if !(v > 0) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("dataset: std %v: want positive finite values", p.Std)
		}
	}
	for i, v := range [][]float32{p.Mean, p.Std} {
		if p.Channels != 0 && len(v) > 1 && len(v) != p.Channels {
			want := "one value"
			if p.Channels > 1 {
				want = fmt.Sprintf("one value or %d", p.Channels)
			}
			return fmt.Errorf("dataset: %s %v: %d values for the model's %d input channels; give %s", []string{"mean", "std"}[i], v, len(v), p.Channels, want)
		}
	}
	return nil
}

// hw expands a one- or two-value size.
func hw(v []int) (int, int) { return v[0], v[len(v)-1] }

// FixedSize is the height and width every image comes out at, whatever its
// own size, when p fixes it: a center crop, else a resize to two sizes (one
// size keeps each image's aspect ratio). ok is false otherwise.
func (p Preprocess) FixedSize() (h, w int, ok bool) {
	switch {
	case len(p.CenterCrop) > 0:
		h, w = hw(p.CenterCrop)
		return h, w, true
	case len(p.Resize) == 2:
		return p.Resize[0], p.Resize[1], true
	}
	return 0, 0, false
}

// resized is the size after Resize.
func (p Preprocess) resized(h, w int) (int, int) {
	switch len(p.Resize) {
	case 0:
		return h, w
	case 2:
		return p.Resize[0], p.Resize[1]
	}
	s := p.Resize[0]
	if h <= w {
		return s, int(float64(s) * float64(w) / float64(h))
	}
	return int(float64(s) * float64(h) / float64(w)), s
}

// OutShape is the shape p turns an image of shape in into; ErrShape when it
// cannot (channel or mean/std count mismatch).
func (p Preprocess) OutShape(in Shape) (Shape, error) {
	if err := p.Validate(); err != nil {
		return Shape{}, err
	}
	if in.C <= 0 || in.H <= 0 || in.W <= 0 {
		return Shape{}, fmt.Errorf("%w: image %v", ErrShape, in)
	}
	out := in
	out.H, out.W = p.resized(in.H, in.W)
	if out.H > maxSide || out.W > maxSide {
		return Shape{}, fmt.Errorf("%w: resizing %v gives %dx%d, more than %d a side", ErrShape, in, out.H, out.W, maxSide)
	}
	if len(p.CenterCrop) > 0 {
		out.H, out.W = hw(p.CenterCrop)
	}
	switch {
	case p.Channels == 3 && (in.C == 1 || in.C == 3):
		out.C = 3
	case p.Channels == 1 && in.C == 3:
		out.C = 1
	case p.Channels != 0 && in.C != p.Channels:
		return Shape{}, fmt.Errorf("%w: a %d-channel image where %d channels are wanted", ErrShape, in.C, p.Channels)
	}
	if p.ChannelOrder == "BGR" && out.C != 3 {
		return Shape{}, fmt.Errorf("%w: BGR order for a %d-channel image", ErrShape, out.C)
	}
	for _, v := range [][]float32{p.Mean, p.Std} {
		if len(v) > 1 && len(v) != out.C {
			return Shape{}, fmt.Errorf("%w: %d mean/std values for %d channels", ErrShape, len(v), out.C)
		}
	}
	return out, nil
}

// Apply writes the preprocessed img into dst, which must hold
// OutShape(img.Shape).Len() values.
func (p Preprocess) Apply(dst []float32, img Image) error {
	return p.apply(dst, img, Augment{}, nil)
}

// apply runs steps 1-7, augmenting with a and r when r is not nil.
func (p Preprocess) apply(dst []float32, img Image, a Augment, r randSource) error {
	out, err := p.OutShape(img.Shape)
	if err != nil {
		return err
	}
	if len(dst) != out.Len() {
		return fmt.Errorf("%w: destination of %d values for a %v image", ErrShape, len(dst), out)
	}
	if len(img.U8)+len(img.F32) != img.Len() {
		return fmt.Errorf("%w: %d pixel values for a %v image", ErrShape, len(img.U8)+len(img.F32), img.Shape)
	}
	if out.C == 1 && img.C == 3 {
		img = luma(img)
	}
	g := p.geometry(img.Shape, out, a, r)
	if a.Crop && len(p.CenterCrop) > 0 {
		a.Pad = 0 // the random window replaces pad-and-crop
	}
	planes := g.sample(img)
	p.emit(dst, planes, img.C, out, a.draw(r))
	return nil
}

// geometry is where the output window lies: the image resized to rh×rw,
// then the h×w window at (top, left). The window may reach past the image
// (a crop larger than it, at a negative offset): those pixels are black.
// antialias widens the filter of a side the resize shrinks.
type geometry struct {
	rh, rw, top, left, h, w int
	antialias               bool
}

// geometry places the crop: at the center, or at random for a.Crop.
func (p Preprocess) geometry(in, out Shape, a Augment, r randSource) geometry {
	g := geometry{h: out.H, w: out.W, antialias: p.Antialias}
	g.rh, g.rw = p.resized(in.H, in.W)
	switch {
	case len(p.CenterCrop) == 0:
	case a.Crop && r != nil:
		g.top, g.left = randomOffset(r, g.rh, g.h), randomOffset(r, g.rw, g.w)
	default:
		g.top, g.left = centerOffset(g.rh, g.h), centerOffset(g.rw, g.w)
	}
	return g
}

// centerOffset is where torchvision's center_crop puts a crop of n pixels
// of a side of size: (size-n)/2 rounded half to even inside the image; for
// a larger crop, the image padded by (n-size)/2 rounded down before it (the
// rest after), so the window starts that far before the image.
func centerOffset(size, n int) int {
	if n > size {
		return -((n - size) / 2)
	}
	return int(math.RoundToEven(float64(size-n) / 2))
}

// randomOffset draws a crop's offset uniformly from every position that
// keeps the window inside the image or, for a crop larger than the image,
// the image inside the window (torchvision's RandomCrop with
// pad_if_needed).
func randomOffset(r randSource, size, n int) int {
	if n > size {
		return intN(r, n-size+1) - (n - size)
	}
	return intN(r, size-n+1)
}

// emit writes steps 4-7: output channel c reads plane src(c), pixel (y, x)
// reads the placement's source pixel (black outside), normalized, at
// Layout's position.
func (p Preprocess) emit(dst, planes []float32, inC int, out Shape, pl placement) {
	h, w := out.H, out.W
	stride, cstep, rstep := 1, h*w, w // NCHW: x, c and y steps in dst
	if p.Layout == NHWC {
		stride, cstep, rstep = out.C, 1, w*out.C
	}
	for c := range out.C {
		sc := c
		switch {
		case inC == 1:
			sc = 0
		case p.ChannelOrder == "BGR":
			sc = 2 - c
		}
		m, sd := pick(p.Mean, c, 0), pick(p.Std, c, 1)
		plane := planes[sc*h*w : (sc+1)*h*w]
		for y := range h {
			var src []float32
			if sy := y + pl.dy; sy >= 0 && sy < h {
				src = plane[sy*w : (sy+1)*w]
			}
			emitRow(dst[c*cstep+y*rstep:], stride, w, src, pl, m, sd)
		}
	}
}

// emitRow writes one output row of w values at dst[0], dst[stride], ...:
// (src[x+dx] - m) / sd, or src[w-1-x+dx] when flipped, and (0 - m) / sd
// where that falls outside src (nil: the whole row).
func emitRow(dst []float32, stride, w int, src []float32, pl placement, m, sd float32) {
	black := (0 - m) / sd
	for x := range w {
		sx := x + pl.dx
		if pl.flip {
			sx = w - 1 - x + pl.dx
		}
		v := black
		if src != nil && sx >= 0 && sx < w {
			v = (src[sx] - m) / sd
		}
		dst[x*stride] = v
	}
}

// pick is v[c], v[0] when v holds one value for all channels, or def.
func pick(v []float32, c int, def float32) float32 {
	switch {
	case len(v) == 1:
		return v[0]
	case c < len(v):
		return v[c]
	}
	return def
}

// luma is the three-channel img as one channel, as torchvision's
// Grayscale: PIL's convert("L") (ITU-R 601-2 weights in 16-bit fixed
// point, rounded) for bytes, rgb_to_grayscale's weights for floats.
func luma(img Image) Image {
	n := img.H * img.W
	out := Image{Shape: Shape{1, img.H, img.W}}
	if img.U8 != nil {
		out.U8 = make([]uint8, n)
		r, g, b := img.U8[:n], img.U8[n:2*n], img.U8[2*n:3*n]
		for i := range out.U8 {
			out.U8[i] = uint8((int(r[i])*19595 + int(g[i])*38470 + int(b[i])*7471 + 0x8000) >> 16)
		}
		return out
	}
	out.F32 = make([]float32, n)
	r, g, b := img.F32[:n], img.F32[n:2*n], img.F32[2*n:3*n]
	for i := range out.F32 {
		out.F32[i] = 0.2989*r[i] + 0.587*g[i] + 0.114*b[i]
	}
	return out
}
