package finetune

import (
	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// conv1d runs a 1-D Conv (ECA's convolution across channels) as a 2-D one
// of height 1: x [N, C, L] and w [K, C/G, k] are viewed as [N, C, 1, L] and
// [K, C/G, 1, k].
func conv1d(r *run, nd *ir.Node, x, w, b *autograd.Tensor, binary bool) error {
	a, err := convAttrs(r.n, nd, x.Shape, w.Shape)
	if err != nil {
		return err
	}
	x4 := r.tp.View(x, []int{x.Shape[0], x.Shape[1], 1, x.Shape[2]})
	w4 := r.tp.View(w, []int{w.Shape[0], w.Shape[1], 1, w.Shape[2]})
	y, err := r.tp.Conv(x4, w4, b, a, binary)
	if err != nil {
		return err
	}
	return r.set(nd, r.tp.View(y, []int{y.Shape[0], y.Shape[1], y.Shape[3]}))
}

// liftGeometry puts a height axis (kernel 1, stride 1, dilation 1, no
// padding) before a 1-D window's.
func liftGeometry(g schema.Geometry) schema.Geometry {
	pre := func(h int, v []int) []int { return append([]int{h}, v...) }
	return schema.Geometry{Kernel: pre(1, g.Kernel), Strides: pre(1, g.Strides), Dilations: pre(1, g.Dilations),
		PadBegin: pre(0, g.PadBegin), PadEnd: pre(0, g.PadEnd)}
}
