package infer

import (
	"errors"
	"fmt"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// number is every element type the arithmetic ops accept.
type number interface {
	~float32 | ~float64 | ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

var errDivZero = errors.New("integer division by zero")

func opAdd(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return binaryNode(c, in, binAdd)
}

func opSub(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return binaryNode(c, in, binSub)
}

func opMul(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return binaryNode(c, in, binMul)
}

func opDiv(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return binaryNode(c, in, binDiv)
}

// opSum adds any number of inputs with broadcasting.
func opSum(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	acc := in[0]
	for _, t := range in[1:] {
		y, err := binary(c, acc, t, binAdd)
		if err != nil {
			return nil, err
		}
		acc = y
	}
	if len(in) == 1 {
		acc = view(acc, clone(acc.Shape))
	}
	return []*ir.Tensor{acc}, nil
}

type binOp int

const (
	binAdd binOp = iota
	binSub
	binMul
	binDiv
	binMax
	binMin
)

// binaryNode handles the legacy broadcast/axis attributes of opsets < 7
// before applying numpy broadcasting.
func binaryNode(c *ctx, in []*ir.Tensor, op binOp) ([]*ir.Tensor, error) {
	a, b := in[0], in[1]
	if lb, err := legacyOperand(c, in); err != nil {
		return nil, err
	} else if lb != nil {
		b = lb
	}
	y, err := binary(c, a, b, op)
	if err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}

// legacyOperand is B viewed for the broadcast/axis attributes of opsets
// < 7, or nil when they do not apply.
func legacyOperand(c *ctx, in []*ir.Tensor) (*ir.Tensor, error) {
	at := attrs[schema.Arith](c)
	if c.opset() >= 7 || !at.Broadcast {
		return nil, nil
	}
	ax := int64(len(in[0].Shape) - len(in[1].Shape)) // default: aligned to the end
	if at.Axis != nil {
		ax = *at.Axis
	}
	return legacyBroadcast(in[0], in[1], ax)
}

// legacyBroadcast places b's dims at axis of a's rank (opset 1-6 semantics).
func legacyBroadcast(a, b *ir.Tensor, ax int64) (*ir.Tensor, error) {
	ra, rb := len(a.Shape), len(b.Shape)
	if ax < 0 {
		ax += int64(ra)
	}
	if ax < 0 || int(ax)+rb > ra {
		return nil, fmt.Errorf("cannot broadcast %v onto %v at axis %d", b.Shape, a.Shape, ax)
	}
	shape := make([]int, ra-int(ax))
	for i := range shape {
		shape[i] = 1
	}
	copy(shape, b.Shape)
	return view(b, shape), nil
}

// broadcastShape is numpy's multidirectional broadcast of two shapes, as
// the op layer defines it.
func broadcastShape(a, b []int) ([]int, error) { return schema.Broadcast(a, b) }

// bstrides gives the strides of shape s aligned to an output of rank r, with
// 0 where s broadcasts.
func bstrides(s []int, r int) []int {
	st := strides(s)
	out := make([]int, r)
	off := r - len(s)
	for i, d := range s {
		if d != 1 {
			out[off+i] = st[i]
		}
	}
	return out
}

func binary(c *ctx, a, b *ir.Tensor, op binOp) (*ir.Tensor, error) {
	if a.DType != b.DType {
		return nil, fmt.Errorf("input types differ: %v and %v", a.DType, b.DType)
	}
	shape, err := broadcastShape(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	y, err := c.alloc(a.DType, shape)
	if err != nil {
		return nil, err
	}
	if err := binaryAny(a, b, y, op); err != nil {
		return nil, err
	}
	return y, nil
}

func binaryAny(a, b, y *ir.Tensor, op binOp) error {
	switch av := a.Data.(type) {
	case []float32:
		return broadcastLoop(av, b.Data.([]float32), y.Data.([]float32), a.Shape, b.Shape, y.Shape, op)
	case []float64:
		return broadcastLoop(av, b.Data.([]float64), y.Data.([]float64), a.Shape, b.Shape, y.Shape, op)
	case []int64:
		return broadcastLoop(av, b.Data.([]int64), y.Data.([]int64), a.Shape, b.Shape, y.Shape, op)
	case []int32:
		return broadcastLoop(av, b.Data.([]int32), y.Data.([]int32), a.Shape, b.Shape, y.Shape, op)
	case []int16:
		return broadcastLoop(av, b.Data.([]int16), y.Data.([]int16), a.Shape, b.Shape, y.Shape, op)
	case []int8:
		return broadcastLoop(av, b.Data.([]int8), y.Data.([]int8), a.Shape, b.Shape, y.Shape, op)
	case []uint8:
		return broadcastLoop(av, b.Data.([]uint8), y.Data.([]uint8), a.Shape, b.Shape, y.Shape, op)
	case []uint32:
		return broadcastLoop(av, b.Data.([]uint32), y.Data.([]uint32), a.Shape, b.Shape, y.Shape, op)
	case []uint64:
		return broadcastLoop(av, b.Data.([]uint64), y.Data.([]uint64), a.Shape, b.Shape, y.Shape, op)
	case []uint16:
		if a.DType == ir.Uint16 { // not float16 bits
			return broadcastLoop(av, b.Data.([]uint16), y.Data.([]uint16), a.Shape, b.Shape, y.Shape, op)
		}
	}
	return unsupported("arithmetic on %v", a.DType)
}

// broadcastLoop walks the output in rows of its last dimension; within a row
// each input advances by 0 or 1.
func broadcastLoop[T number](a, b, y []T, as, bs, ys []int, op binOp) error {
	if len(y) == 0 {
		return nil
	}
	if len(a) == len(y) && len(b) == len(y) {
		return apply(op, a, b, y, 1, 1)
	}
	r := len(ys)
	if r == 0 {
		return apply(op, a, b, y, 1, 1)
	}
	sa, sb := bstrides(as, r), bstrides(bs, r)
	inner := ys[r-1]
	idx := make([]int, r-1)
	for o := 0; o < len(y); o += inner {
		oa, ob := 0, 0
		for i, v := range idx {
			oa += v * sa[i]
			ob += v * sb[i]
		}
		if err := apply(op, a[oa:], b[ob:], y[o:o+inner], sa[r-1], sb[r-1]); err != nil {
			return err
		}
		for i := r - 2; i >= 0; i-- {
			if idx[i]++; idx[i] < ys[i] {
				break
			}
			idx[i] = 0
		}
	}
	return nil
}

// apply computes y[i] = a[i*da] op b[i*db] for one row.
func apply[T number](op binOp, a, b, y []T, da, db int) error {
	switch op {
	case binAdd:
		for i := range y {
			y[i] = a[i*da] + b[i*db]
		}
	case binSub:
		for i := range y {
			y[i] = a[i*da] - b[i*db]
		}
	case binMul:
		for i := range y {
			y[i] = a[i*da] * b[i*db]
		}
	case binDiv:
		return divide(a, b, y, da, db)
	case binMax:
		for i := range y {
			y[i] = maxNaN(a[i*da], b[i*db])
		}
	case binMin:
		for i := range y {
			y[i] = minNaN(a[i*da], b[i*db])
		}
	}
	return nil
}

func divide[T number](a, b, y []T, da, db int) error {
	var zero T
	isInt := T(1)/T(2) == zero
	for i := range y {
		d := b[i*db]
		if isInt && d == zero {
			return errDivZero
		}
		y[i] = a[i*da] / d
	}
	return nil
}

// maxNaN is max propagating NaN (as numpy's maximum, ONNX's reference).
func maxNaN[T number](a, b T) T {
	if a != a || a > b {
		return a
	}
	return b
}

// minNaN is min propagating NaN.
func minNaN[T number](a, b T) T {
	if a != a || a < b {
		return a
	}
	return b
}
