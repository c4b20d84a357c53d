package infer

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/ir"
)

// opReduceMean averages over axes (attribute before opset 18, optional
// input from 18); no axes means all unless noop_with_empty_axes=1.
func opReduceMean(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	xs, err := floats(x, "input")
	if err != nil {
		return nil, err
	}
	list, ok, err := axesArg(c, n, in, 18)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 && n.Int("noop_with_empty_axes", 0) != 0 { // default 0
		return []*ir.Tensor{view(x, clone(x.Shape))}, nil
	}
	reduce := make([]bool, len(x.Shape))
	if !ok || len(list) == 0 {
		for i := range reduce {
			reduce[i] = true
		}
	}
	axesN, err := normAxes(list, len(x.Shape))
	if err != nil {
		return nil, err
	}
	for _, a := range axesN {
		reduce[a] = true
	}
	return reduceMean(c, x, xs, reduce, n.Int("keepdims", 1) != 0) // default 1
}

func reduceMean(c *ctx, x *ir.Tensor, xs []float32, reduce []bool, keep bool) ([]*ir.Tensor, error) {
	full, shape := make([]int, len(x.Shape)), []int{}
	count := 1
	for i, d := range x.Shape {
		full[i] = d
		if reduce[i] {
			full[i], count = 1, count*d
		}
		if !reduce[i] || keep {
			shape = append(shape, full[i])
		}
	}
	y, ys, err := c.f32(shape)
	if err != nil {
		return nil, err
	}
	sums := make([]float64, len(ys))
	ost := bstrides(full, len(full))
	idx := make([]int, len(x.Shape))
	for _, v := range xs {
		sums[dot(idx, ost)] += float64(v)
		increment(idx, x.Shape)
	}
	for i, s := range sums {
		ys[i] = float32(s / float64(count))
	}
	return []*ir.Tensor{y}, nil
}

func opSoftmax(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return softmax(c, n, in[0], false)
}

func opLogSoftmax(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return softmax(c, n, in[0], true)
}

// softmax normalizes along one axis (opset >= 13, default -1) or, before
// opset 13, over the input coerced to 2-D at axis (default 1).
func softmax(c *ctx, n *ir.Node, x *ir.Tensor, log bool) ([]*ir.Tensor, error) {
	xs, err := floats(x, "input")
	if err != nil {
		return nil, err
	}
	r := len(x.Shape)
	def := int64(-1)
	if c.opset < 13 {
		def = 1
	}
	a := n.Int("axis", def)
	if r == 0 {
		return nil, fmt.Errorf("input must have rank >= 1")
	}
	ax, err := axis(a, r)
	if c.opset < 13 && a == int64(r) {
		ax, err = r, nil // coercing at the rank is allowed: rows of one column
	}
	if err != nil {
		return nil, err
	}
	outer, length, inner := product(x.Shape[:ax]), product(x.Shape[ax:]), 1
	if c.opset >= 13 {
		length, inner = x.Shape[ax], product(x.Shape[ax+1:])
	}
	y, ys, err := c.f32(clone(x.Shape))
	if err != nil {
		return nil, err
	}
	if len(xs) == 0 {
		return []*ir.Tensor{y}, nil
	}
	for o := range outer {
		for i := range inner {
			softmaxLine(xs[o*length*inner+i:], ys[o*length*inner+i:], length, inner, log)
		}
	}
	return []*ir.Tensor{y}, nil
}

// softmaxLine handles length elements spaced stride apart.
func softmaxLine(x, y []float32, length, stride int, log bool) {
	m := math.Inf(-1)
	for k := range length {
		m = max(m, float64(x[k*stride]))
	}
	var s float64
	for k := range length {
		s += math.Exp(float64(x[k*stride]) - m)
	}
	for k := range length {
		v := float64(x[k*stride]) - m
		if log {
			y[k*stride] = float32(v - math.Log(s))
		} else {
			y[k*stride] = float32(math.Exp(v) / s)
		}
	}
}
