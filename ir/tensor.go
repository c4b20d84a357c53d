package ir

import (
	"fmt"
	"math"
)

// Tensor is a named constant or run-time tensor: an element type, a shape and
// the elements in row-major order held in a typed slice (see DType.MakeSlice).
type Tensor struct {
	Name      string
	DocString string
	DType     DType
	Shape     []int
	Data      any
}

// NewFloat32 returns a float32 tensor that shares data.
func NewFloat32(name string, shape []int, data []float32) *Tensor {
	return &Tensor{Name: name, DType: Float32, Shape: append([]int(nil), shape...), Data: data}
}

// NewInt64 returns an int64 tensor that shares data.
func NewInt64(name string, shape []int, data []int64) *Tensor {
	return &Tensor{Name: name, DType: Int64, Shape: append([]int(nil), shape...), Data: data}
}

// NumElements is the product of the shape (1 for a scalar).
func NumElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len is the number of elements held in Data.
func (t *Tensor) Len() int {
	switch v := t.Data.(type) {
	case []float32:
		return len(v)
	case []float64:
		return len(v)
	case []uint16:
		return len(v)
	case []int8:
		return len(v)
	case []int16:
		return len(v)
	case []int32:
		return len(v)
	case []int64:
		return len(v)
	case []uint8:
		return len(v)
	case []uint32:
		return len(v)
	case []uint64:
		return len(v)
	case []bool:
		return len(v)
	case [][]byte:
		return len(v)
	}
	return 0
}

// Validate checks that the data slice has the Go type of the DType and
// exactly as many elements as the shape holds.
func (t *Tensor) Validate() error {
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("ir: tensor %q has negative dimension in shape %v", t.Name, t.Shape)
		}
	}
	want, err := t.DType.MakeSlice(0)
	if err != nil {
		return fmt.Errorf("ir: tensor %q: %w", t.Name, err)
	}
	if fmt.Sprintf("%T", want) != fmt.Sprintf("%T", t.Data) {
		return fmt.Errorf("ir: tensor %q of type %v holds %T", t.Name, t.DType, t.Data)
	}
	if n := NumElements(t.Shape); t.Len() != n {
		return fmt.Errorf("ir: tensor %q has %d elements, shape %v needs %d", t.Name, t.Len(), t.Shape, n)
	}
	return nil
}

// Float32s returns the data as float32, converting from any numeric type
// (float16 and bfloat16 decoded from their bits). For Float32 tensors the
// returned slice is the tensor's own storage.
func (t *Tensor) Float32s() ([]float32, error) {
	switch v := t.Data.(type) {
	case []float32:
		return v, nil
	case []uint16:
		out := make([]float32, len(v))
		switch t.DType {
		case Float16:
			for i, h := range v {
				out[i] = Float16ToFloat32(h)
			}
		case BFloat16:
			for i, h := range v {
				out[i] = math.Float32frombits(uint32(h) << 16)
			}
		default:
			for i, h := range v {
				out[i] = float32(h)
			}
		}
		return out, nil
	}
	return convertNumeric(t, func(f float64) float32 { return float32(f) })
}

// Int64s returns the data as int64, converting from any integer or float
// type (floats truncate toward zero). For Int64 tensors the returned slice is
// the tensor's own storage.
func (t *Tensor) Int64s() ([]int64, error) {
	if v, ok := t.Data.([]int64); ok {
		return v, nil
	}
	if t.DType == Float16 || t.DType == BFloat16 {
		f, err := t.Float32s()
		if err != nil {
			return nil, err
		}
		out := make([]int64, len(f))
		for i, x := range f {
			out[i] = int64(x)
		}
		return out, nil
	}
	return convertNumeric(t, func(f float64) int64 { return int64(f) })
}

func convertNumeric[T any](t *Tensor, conv func(float64) T) ([]T, error) {
	var src []float64
	switch v := t.Data.(type) {
	case []float32:
		src = widen(v)
	case []float64:
		src = v
	case []int8:
		src = widen(v)
	case []int16:
		src = widen(v)
	case []int32:
		src = widen(v)
	case []int64:
		src = widen(v)
	case []uint8:
		src = widen(v)
	case []uint16:
		src = widen(v)
	case []uint32:
		src = widen(v)
	case []uint64:
		src = widen(v)
	case []bool:
		src = make([]float64, len(v))
		for i, b := range v {
			if b {
				src[i] = 1
			}
		}
	default:
		return nil, fmt.Errorf("ir: tensor %q of type %v is not numeric", t.Name, t.DType)
	}
	out := make([]T, len(src))
	for i, x := range src {
		out[i] = conv(x)
	}
	return out, nil
}

func widen[S ~[]E, E int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 | float32](s S) []float64 {
	out := make([]float64, len(s))
	for i, x := range s {
		out[i] = float64(x)
	}
	return out
}

// Clone returns a deep copy of the tensor.
func (t *Tensor) Clone() *Tensor {
	c := *t
	c.Shape = append([]int(nil), t.Shape...)
	switch v := t.Data.(type) {
	case []float32:
		c.Data = append([]float32(nil), v...)
	case []float64:
		c.Data = append([]float64(nil), v...)
	case []uint16:
		c.Data = append([]uint16(nil), v...)
	case []int8:
		c.Data = append([]int8(nil), v...)
	case []int16:
		c.Data = append([]int16(nil), v...)
	case []int32:
		c.Data = append([]int32(nil), v...)
	case []int64:
		c.Data = append([]int64(nil), v...)
	case []uint8:
		c.Data = append([]uint8(nil), v...)
	case []uint32:
		c.Data = append([]uint32(nil), v...)
	case []uint64:
		c.Data = append([]uint64(nil), v...)
	case []bool:
		c.Data = append([]bool(nil), v...)
	case [][]byte:
		s := make([][]byte, len(v))
		for i, b := range v {
			s[i] = append([]byte(nil), b...)
		}
		c.Data = s
	}
	return &c
}

// Float16ToFloat32 decodes IEEE 754 half-precision bits.
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: normalize
		e := uint32(127 - 15 + 1)
		for frac&0x400 == 0 {
			frac <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (frac&0x3ff)<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}
