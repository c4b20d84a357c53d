package finetune

import (
	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
)

// conv1d runs a 1-D Conv (ECA's convolution across channels) as a 2-D one
// of height 1: x [N, C, L] and w [K, C/G, k] are viewed as [N, C, 1, L] and
// [K, C/G, 1, k], and the attributes lifted to two axes.
func conv1d(r *run, nd *ir.Node, x, w, b *autograd.Tensor, binary bool) error {
	x4 := r.tp.View(x, []int{x.Shape[0], x.Shape[1], 1, x.Shape[2]})
	w4 := r.tp.View(w, []int{w.Shape[0], w.Shape[1], 1, w.Shape[2]})
	a, err := convAttrs(lift1D(nd), x4.Shape, w4.Shape)
	if err != nil {
		return err
	}
	y, err := r.tp.Conv(x4, w4, b, a, binary)
	if err != nil {
		return err
	}
	return r.set(nd, r.tp.View(y, []int{y.Shape[0], y.Shape[1], y.Shape[3]}))
}

// lift1D returns a copy of a 1-D Conv node whose strides, dilations and
// pads have a leading height axis (stride 1, dilation 1, no padding).
func lift1D(nd *ir.Node) *ir.Node {
	c := nd.Clone()
	lift := func(name string, pre ...int64) {
		if v := nd.Ints(name, nil); len(v) == len(pre) {
			c.SetAttr(&ir.Attr{Name: name, Type: ir.AttrInts, Ints: liftInts(v, pre)})
		}
	}
	lift("strides", 1)
	lift("dilations", 1)
	lift("kernel_shape", 1)
	lift("pads", 0, 0)
	return c
}

// liftInts prepends one height value to each half of v: [s] → [1, s];
// pads [b, e] → [0, b, 0, e].
func liftInts(v, pre []int64) []int64 {
	if len(pre) == 1 {
		return []int64{pre[0], v[0]}
	}
	return []int64{pre[0], v[0], pre[1], v[1]}
}
