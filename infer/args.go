package infer

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// floats returns t's data when t is float32.
func floats(t *ir.Tensor, what string) ([]float32, error) {
	v, ok := t.Data.([]float32)
	if !ok || t.DType != ir.Float32 {
		return nil, unsupported("%s of type %v (only float32)", what, t.DType)
	}
	if len(v) != ir.NumElements(t.Shape) {
		return nil, fmt.Errorf("%s holds %d values for shape %v", what, len(v), t.Shape)
	}
	return v, nil
}

// ints reads a small integer tensor (shape, axes, pads, indices) of type
// int64 or int32.
func ints(t *ir.Tensor, what string) ([]int64, error) {
	switch v := t.Data.(type) {
	case []int64:
		return v, nil
	case []int32:
		out := make([]int64, len(v))
		for i, x := range v {
			out[i] = int64(x)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s must be int64 or int32, got %v", what, t.DType)
}

// scalarFloat reads a one-element numeric tensor as float64.
func scalarFloat(t *ir.Tensor, what string) (float64, error) {
	if t.Len() != 1 {
		return 0, fmt.Errorf("%s must hold one value, has shape %v", what, t.Shape)
	}
	switch v := t.Data.(type) {
	case []float32:
		return float64(v[0]), nil
	case []float64:
		return v[0], nil
	case []bool:
		if v[0] {
			return 1, nil
		}
		return 0, nil
	}
	i, err := t.Int64s()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return float64(i[0]), nil
}

// axis normalizes a possibly negative axis for a tensor of the given rank,
// as the op layer does.
func axis(a int64, rank int) (int, error) { return schema.Axis(a, rank) }

// toInts converts int64 attribute values to int, rejecting absurd ones.
func toInts(v []int64, what string) ([]int, error) {
	out := make([]int, len(v))
	for i, x := range v {
		if x > maxElements || x < -maxElements {
			return nil, fmt.Errorf("%s value %d out of range", what, x)
		}
		out[i] = int(x)
	}
	return out, nil
}

// strides returns row-major element strides of shape.
func strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// view returns a tensor sharing t's data with another shape.
func view(t *ir.Tensor, shape []int) *ir.Tensor {
	return &ir.Tensor{DType: t.DType, Shape: shape, Data: t.Data}
}

func clone(shape []int) []int { return append([]int(nil), shape...) }

func product(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
