package infer

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/kernels"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// opConv is Conv over 1-D and 2-D inputs (NCW, NCHW) with groups.
func opConv(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a := attrs[schema.Conv](c)
	x, w := in[0], in[1]
	r := len(x.Shape) - 2
	if r != 1 && r != 2 {
		return nil, unsupported("%d-D convolution", r)
	}
	p, err := convParams(&a.Window, int(a.Group), x.Shape, w.Shape)
	if err != nil {
		return nil, err
	}
	return convRun(c, p, in)
}

// convParams fills kernels.ConvParams from the op layer's geometry; 1-D
// inputs become height-1 images. The op layer has checked the shapes.
func convParams(win *schema.Window, g int, xs, ws []int) (kernels.ConvParams, error) {
	geo, err := win.Resolve(xs[2:], ws[2:])
	if err != nil {
		return kernels.ConvParams{}, err
	}
	if len(xs) == 3 {
		geo = schema.Geometry{Kernel: []int{1, geo.Kernel[0]}, Strides: []int{1, geo.Strides[0]},
			Dilations: []int{1, geo.Dilations[0]}, PadBegin: []int{0, geo.PadBegin[0]}, PadEnd: []int{0, geo.PadEnd[0]}}
		xs = []int{xs[0], xs[1], 1, xs[2]}
	}
	p := kernels.ConvParams{N: xs[0], C: xs[1], H: xs[2], W: xs[3], K: ws[0],
		KH: geo.Kernel[0], KW: geo.Kernel[1], StrideH: geo.Strides[0], StrideW: geo.Strides[1],
		PadTop: geo.PadBegin[0], PadLeft: geo.PadBegin[1], PadBottom: geo.PadEnd[0], PadRight: geo.PadEnd[1],
		DilationH: geo.Dilations[0], DilationW: geo.Dilations[1], Groups: g}
	return p, p.Validate()
}

func convRun(c *ctx, p kernels.ConvParams, in []*ir.Tensor) ([]*ir.Tensor, error) {
	y, ys, err := c.f32Overwritten(c.shape(0))
	if err != nil {
		return nil, err
	}
	if len(ys) != p.N*p.K*p.OutH()*p.OutW() {
		return nil, fmt.Errorf("output %v does not fit the convolution's %d×%d", y.Shape, p.OutH(), p.OutW())
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
	}
	kernels.Conv2DEpilogue(p, xs, ws, bias, ys, c.epilogue(y))
	return []*ir.Tensor{y}, nil
}
