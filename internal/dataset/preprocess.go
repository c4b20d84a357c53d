package dataset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// Preprocess turns a decoded image into a model's float32 CHW input, in
// this order:
//
//  1. pixels to float32 (8-bit values divided by 255; float pixels are
//     taken as already on that scale), as torchvision's ToTensor does;
//  2. Resize, bilinear with half-pixel centers and no antialiasing
//     (torch.nn.functional.interpolate, align_corners=False): [h, w] exactly,
//     or [s] to make the shorter side s, the longer int(s*long/short);
//  3. CenterCrop [h, w] or [s] (s×s), offsets rounded half to even as
//     torchvision does; a crop larger than the image is an error;
//  4. Channels 3 replicates a one-channel image (1 demands one channel;
//     0 keeps what the data has); ChannelOrder "BGR" reverses three channels;
//  5. (training only: the Augment steps);
//  6. (x - Mean[c]) / Std[c] per channel; one value applies to every
//     channel, none means mean 0 and std 1.
//
// Its JSON form (Marshal, ParsePreprocess) is what .bnn metadata records.
type Preprocess struct {
	Resize       []int     `json:"resize,omitempty"`
	CenterCrop   []int     `json:"center_crop,omitempty"`
	Channels     int       `json:"channels,omitempty"`
	ChannelOrder string    `json:"channel_order,omitempty"` // "" or "RGB": as stored; "BGR": reversed
	Mean         []float32 `json:"mean,omitempty"`
	Std          []float32 `json:"std,omitempty"`
}

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
	if p.Channels != 0 && p.Channels != 1 && p.Channels != 3 {
		return fmt.Errorf("dataset: channels %d: want 0, 1 or 3", p.Channels)
	}
	if p.ChannelOrder != "" && p.ChannelOrder != "RGB" && p.ChannelOrder != "BGR" {
		return fmt.Errorf("dataset: channel order %q: want RGB or BGR", p.ChannelOrder)
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
	return nil
}

// hw expands a one- or two-value size.
func hw(v []int) (int, int) { return v[0], v[len(v)-1] }

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
// cannot (crop larger than the image, channel or mean/std count mismatch).
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
		ch, cw := hw(p.CenterCrop)
		if ch > out.H || cw > out.W {
			return Shape{}, fmt.Errorf("%w: center crop %dx%d of a %dx%d image", ErrShape, ch, cw, out.H, out.W)
		}
		out.H, out.W = ch, cw
	}
	if in.C != 1 && in.C != 3 {
		return Shape{}, fmt.Errorf("%w: %d channels, want 1 or 3", ErrShape, in.C)
	}
	switch {
	case p.Channels == 3:
		out.C = 3
	case p.Channels == 1 && in.C != 1:
		return Shape{}, fmt.Errorf("%w: a %d-channel image where one channel is wanted", ErrShape, in.C)
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

// apply runs steps 1-6, augmenting with a and r when r is not nil.
func (p Preprocess) apply(dst []float32, img Image, a Augment, r randSource) error {
	out, err := p.OutShape(img.Shape)
	if err != nil {
		return err
	}
	if len(dst) != out.Len() {
		return fmt.Errorf("%w: destination of %d values for a %v image", ErrShape, len(dst), out)
	}
	x, s := toFloat(img), img.Shape
	if len(p.Resize) > 0 {
		h, w := p.resized(s.H, s.W)
		x, s = resizeBilinear(x, s, h, w), Shape{s.C, h, w}
	}
	if len(p.CenterCrop) > 0 {
		h, w := hw(p.CenterCrop)
		top := int(math.RoundToEven(float64(s.H-h) / 2))
		left := int(math.RoundToEven(float64(s.W-w) / 2))
		x, s = crop(x, s, top, left, h, w), Shape{s.C, h, w}
	}
	if out.C == 3 && s.C == 1 {
		x = append(append(x, x...), x...)
	}
	if p.ChannelOrder == "BGR" {
		n := s.H * s.W
		x = append(append(append([]float32{}, x[2*n:]...), x[n:2*n]...), x[:n]...)
	}
	if r != nil {
		x = a.apply(x, out, r)
	}
	normalize(dst, x, out, p.Mean, p.Std)
	return nil
}

// toFloat converts pixels to float32 on the [0,1] scale (a fresh slice).
func toFloat(img Image) []float32 {
	if img.U8 == nil {
		return append([]float32(nil), img.F32...)
	}
	x := make([]float32, len(img.U8))
	for i, v := range img.U8 {
		x[i] = float32(v) / 255
	}
	return x
}

// normalize writes (x - mean[c]) / std[c] into dst.
func normalize(dst, x []float32, s Shape, mean, std []float32) {
	n := s.H * s.W
	for c := range s.C {
		m, sd := float32(0), float32(1)
		if len(mean) > 0 {
			m = mean[min(c, len(mean)-1)]
		}
		if len(std) > 0 {
			sd = std[min(c, len(std)-1)]
		}
		for i := c * n; i < (c+1)*n; i++ {
			dst[i] = (x[i] - m) / sd
		}
	}
}

// crop copies the h×w window at (top, left) of every channel.
func crop(x []float32, s Shape, top, left, h, w int) []float32 {
	out := make([]float32, 0, s.C*h*w)
	for c := range s.C {
		for y := top; y < top+h; y++ {
			row := (c*s.H + y) * s.W
			out = append(out, x[row+left:row+left+w]...)
		}
	}
	return out
}

// resizeBilinear resizes every channel to h×w. Source coordinates use
// half-pixel centers, (dst+0.5)*in/out-0.5 clamped at 0, as PyTorch's
// bilinear interpolation with align_corners=False.
func resizeBilinear(x []float32, s Shape, h, w int) []float32 {
	type tap struct {
		i0, i1 int
		l      float32
	}
	taps := func(in, out int) []tap {
		t := make([]tap, out)
		scale := float32(in) / float32(out)
		for d := range t {
			src := max(scale*(float32(d)+0.5)-0.5, 0)
			i0 := int(src)
			i1 := min(i0+1, in-1)
			t[d] = tap{i0, i1, src - float32(i0)}
		}
		return t
	}
	ty, tx := taps(s.H, h), taps(s.W, w)
	out := make([]float32, s.C*h*w)
	for c := range s.C {
		plane := x[c*s.H*s.W:]
		for y, a := range ty {
			r0, r1 := plane[a.i0*s.W:], plane[a.i1*s.W:]
			for xx, b := range tx {
				top := (1-b.l)*r0[b.i0] + b.l*r0[b.i1]
				bot := (1-b.l)*r1[b.i0] + b.l*r1[b.i1]
				out[(c*h+y)*w+xx] = (1-a.l)*top + a.l*bot
			}
		}
	}
	return out
}
