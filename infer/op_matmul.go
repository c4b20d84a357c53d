package infer

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/kernels"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// opGemm is Y = alpha*op(A)*op(B) + beta*C with C broadcast to (M, N).
func opGemm(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a, b := in[0], in[1]
	at := attrs[schema.Gemm](c)
	transA, transB, alpha, beta := at.TransA, at.TransB, at.Alpha, at.Beta
	m, nn := c.shape(0)[0], c.shape(0)[1]
	k := a.Shape[1]
	if transA {
		k = a.Shape[0]
	}
	y, ys, err := c.f32([]int{m, nn})
	if err != nil {
		return nil, err
	}
	as, err := floats(a, "A")
	if err != nil {
		return nil, err
	}
	bs, err := floats(b, "B")
	if err != nil {
		return nil, err
	}
	if len(in) > 2 && in[2] != nil && beta != 0 {
		if err := fillBroadcast(in[2], y); err != nil {
			return nil, err
		}
	} else {
		beta = 0
	}
	switch {
	case m*nn == 0:
	case k == 0: // an empty product: Y = beta*C
		for i := range ys {
			ys[i] *= beta
		}
	default:
		kernels.Sgemm(transA, transB, m, nn, k, alpha, as, a.Shape[1], bs, b.Shape[1], beta, ys, nn)
	}
	return []*ir.Tensor{y}, nil
}

// fillBroadcast copies float32 src into y, broadcasting src to y's shape.
func fillBroadcast(src, y *ir.Tensor) error {
	ss, err := floats(src, "C")
	if err != nil {
		return err
	}
	shape, err := broadcastShape(y.Shape, src.Shape)
	if err != nil || !equalShape(shape, y.Shape) {
		return fmt.Errorf("C %v does not broadcast to %v", src.Shape, y.Shape)
	}
	ys := y.Data.([]float32)
	return broadcastLoop(ys, ss, ys, y.Shape, src.Shape, y.Shape, binAdd)
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// opMatMul is numpy matmul: batched over leading dims with broadcasting,
// 1-D operands promoted and the added dimension removed again.
func opMatMul(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a, b := in[0], in[1]
	as, bs := a.Shape, b.Shape
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	m, k, nn := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	batch, err := broadcastShape(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return nil, err
	}
	y, ys, err := c.f32(c.shape(0))
	if err != nil {
		return nil, err
	}
	ad, err := floats(a, "A")
	if err != nil {
		return nil, err
	}
	bd, err := floats(b, "B")
	if err != nil {
		return nil, err
	}
	if len(ys) == 0 || k == 0 {
		return []*ir.Tensor{y}, nil
	}
	sa, sb := bstrides(as[:len(as)-2], len(batch)), bstrides(bs[:len(bs)-2], len(batch))
	idx := make([]int, len(batch))
	for i := 0; i*m*nn < len(ys); i++ {
		oa, ob := dot(idx, sa)*m*k, dot(idx, sb)*k*nn
		kernels.Sgemm(false, false, m, nn, k, 1, ad[oa:], k, bd[ob:], nn, 0, ys[i*m*nn:], nn)
		increment(idx, batch)
	}
	return []*ir.Tensor{y}, nil
}

func dot(a, b []int) int {
	s := 0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// increment advances a row-major multi-index over shape.
func increment(idx, shape []int) {
	for i := len(idx) - 1; i >= 0; i-- {
		if idx[i]++; idx[i] < shape[i] {
			return
		}
		idx[i] = 0
	}
}
