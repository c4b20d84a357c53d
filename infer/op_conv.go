package infer

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/kernels"
	"github.com/bincompress/bincompress/ir"
)

// window describes a convolution or pooling window over the spatial dims.
type window struct {
	kernel, strides, dilations []int
	padBegin, padEnd           []int
}

// readWindow reads kernel_shape, strides, dilations, pads and auto_pad for
// a node over the given spatial input dims; kernel is used when the node has
// no kernel_shape (Conv takes it from the weights; pools require it).
func readWindow(n *ir.Node, spatial, kernel []int) (window, error) {
	r := len(spatial)
	w := window{}
	var err error
	if w.kernel, err = intsAttr(n, "kernel_shape", kernel, r); err != nil {
		return w, err
	}
	if len(w.kernel) != r {
		return w, fmt.Errorf("kernel_shape is required and needs %d values", r)
	}
	if w.strides, err = intsAttr(n, "strides", ones(r), r); err != nil { // default 1 per axis
		return w, err
	}
	if w.dilations, err = intsAttr(n, "dilations", ones(r), r); err != nil { // default 1 per axis
		return w, err
	}
	pads, err := intsAttr(n, "pads", make([]int, 2*r), 2*r) // default 0 on both sides
	if err != nil {
		return w, err
	}
	w.padBegin, w.padEnd = pads[:r], pads[r:]
	if err := w.check(); err != nil {
		return w, err
	}
	return w, w.autoPad(n.String("auto_pad", "NOTSET"), spatial)
}

func (w window) check() error {
	for i := range w.kernel {
		if w.kernel[i] < 1 || w.strides[i] < 1 || w.dilations[i] < 1 {
			return fmt.Errorf("kernel %v, strides %v and dilations %v must be positive", w.kernel, w.strides, w.dilations)
		}
		if w.padBegin[i] < 0 || w.padEnd[i] < 0 {
			return fmt.Errorf("pads %v%v must not be negative", w.padBegin, w.padEnd)
		}
	}
	return nil
}

// autoPad replaces the pads for SAME_UPPER, SAME_LOWER and VALID.
func (w window) autoPad(mode string, spatial []int) error {
	switch mode {
	case "NOTSET", "":
		return nil
	case "VALID":
		clear(w.padBegin)
		clear(w.padEnd)
		return nil
	case "SAME_UPPER", "SAME_LOWER":
	default:
		return fmt.Errorf("unknown auto_pad %q", mode)
	}
	for i, in := range spatial {
		out := (in + w.strides[i] - 1) / w.strides[i]
		total := max(0, (out-1)*w.strides[i]+(w.kernel[i]-1)*w.dilations[i]+1-in)
		w.padBegin[i] = total / 2
		if mode == "SAME_LOWER" {
			w.padBegin[i] = total - total/2
		}
		w.padEnd[i] = total - w.padBegin[i]
	}
	return nil
}

// outSize is the output length along spatial axis i.
func (w window) outSize(i, in int, ceil bool) (int, error) {
	span := (w.kernel[i]-1)*w.dilations[i] + 1
	room := in + w.padBegin[i] + w.padEnd[i] - span
	if room < 0 {
		return 0, fmt.Errorf("window %d (dilated) is larger than the padded input %d", span, in+w.padBegin[i]+w.padEnd[i])
	}
	out := room/w.strides[i] + 1
	if ceil && room%w.strides[i] != 0 {
		out++
		if (out-1)*w.strides[i] >= in+w.padBegin[i] {
			out-- // the last window would start in the end padding
		}
	}
	return out, nil
}

func intsAttr(n *ir.Node, name string, def []int, want int) ([]int, error) {
	a := n.Attr(name)
	if a == nil || a.Type != ir.AttrInts {
		return def, nil
	}
	if len(a.Ints) != want {
		return nil, fmt.Errorf("attribute %s has %d values, want %d", name, len(a.Ints), want)
	}
	return toInts(a.Ints, name)
}

func ones(r int) []int {
	s := make([]int, r)
	for i := range s {
		s[i] = 1
	}
	return s
}

// opConv is Conv over 1-D and 2-D inputs (NCW, NCHW) with groups.
func opConv(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, w := in[0], in[1]
	r := len(x.Shape) - 2
	if r != 1 && r != 2 {
		if r == 3 {
			return nil, unsupported("3-D convolution")
		}
		return nil, fmt.Errorf("input has shape %v, needs rank 3 or 4", x.Shape)
	}
	if len(w.Shape) != r+2 {
		return nil, fmt.Errorf("weight has shape %v, needs rank %d for input %v", w.Shape, r+2, x.Shape)
	}
	p, err := convParams(n, x.Shape, w.Shape)
	if err != nil {
		return nil, err
	}
	return convRun(c, p, in, r)
}

// convParams checks shapes and fills kernels.ConvParams; 1-D inputs become
// height-1 images.
func convParams(n *ir.Node, xs, ws []int) (kernels.ConvParams, error) {
	r := len(xs) - 2
	g := int(n.Int("group", 1))
	if g < 1 || xs[1]%g != 0 || ws[0]%g != 0 {
		return kernels.ConvParams{}, fmt.Errorf("group %d does not divide input channels %d and output channels %d", g, xs[1], ws[0])
	}
	if ws[1]*g != xs[1] {
		return kernels.ConvParams{}, fmt.Errorf("weight %v expects %d input channels, input %v has %d", ws, ws[1]*g, xs, xs[1])
	}
	win, err := readWindow(n, xs[2:], ws[2:])
	if err != nil {
		return kernels.ConvParams{}, err
	}
	for i, k := range win.kernel {
		if k != ws[2+i] {
			return kernels.ConvParams{}, fmt.Errorf("kernel_shape %v does not match weight %v", win.kernel, ws)
		}
		if _, err := win.outSize(i, xs[2+i], false); err != nil {
			return kernels.ConvParams{}, err
		}
	}
	if r == 1 {
		win = window{kernel: []int{1, win.kernel[0]}, strides: []int{1, win.strides[0]},
			dilations: []int{1, win.dilations[0]}, padBegin: []int{0, win.padBegin[0]}, padEnd: []int{0, win.padEnd[0]}}
		xs = []int{xs[0], xs[1], 1, xs[2]}
	}
	return kernels.ConvParams{N: xs[0], C: xs[1], H: xs[2], W: xs[3], K: ws[0],
		KH: win.kernel[0], KW: win.kernel[1], StrideH: win.strides[0], StrideW: win.strides[1],
		PadTop: win.padBegin[0], PadLeft: win.padBegin[1], PadBottom: win.padEnd[0], PadRight: win.padEnd[1],
		DilationH: win.dilations[0], DilationW: win.dilations[1], Groups: g}, nil
}

func convRun(c *ctx, p kernels.ConvParams, in []*ir.Tensor, r int) ([]*ir.Tensor, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	oh, ow := p.OutH(), p.OutW()
	shape := []int{p.N, p.K, oh, ow}
	if r == 1 {
		shape = []int{p.N, p.K, ow}
	}
	y, ys, err := c.f32Overwritten(shape)
	if err != nil {
		return nil, err
	}
	xs, err := floats(in[0], "input")
	if err != nil {
		return nil, err
	}
	ws, err := floats(in[1], "weight")
	if err != nil {
		return nil, err
	}
	var bias []float32
	if len(in) > 2 && in[2] != nil {
		if bias, err = floats(in[2], "bias"); err != nil {
			return nil, err
		}
		if len(bias) != p.K {
			return nil, fmt.Errorf("bias has %d values for %d output channels", len(bias), p.K)
		}
	}
	if !c.shapeOnly {
		kernels.Conv2DEpilogue(p, xs, ws, bias, ys, c.epilogue(y))
	}
	return []*ir.Tensor{y}, nil
}
