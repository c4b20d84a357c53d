package infer

import (
	"math"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// opCast converts between the numeric types, bool, float16 and bfloat16.
func opCast(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	to := attrs[schema.Cast](c).To
	if x.DType == ir.String || to == ir.String || !to.Supported() {
		return nil, unsupported("Cast from %v to %v", x.DType, to)
	}
	y, err := c.alloc(to, clone(x.Shape))
	if err != nil {
		return nil, err
	}
	if isFloat(x.DType) || isFloat(to) {
		f, err := asFloat64(x)
		if err != nil {
			return nil, err
		}
		storeFloat64(y, f)
	} else {
		i, err := x.Int64s()
		if err != nil {
			return nil, unsupported("Cast from %v", x.DType)
		}
		storeInt64(y, i)
	}
	return []*ir.Tensor{y}, nil
}

func isFloat(d ir.DType) bool {
	return d == ir.Float32 || d == ir.Float64 || d == ir.Float16 || d == ir.BFloat16
}

func asFloat64(x *ir.Tensor) ([]float64, error) {
	if v, ok := x.Data.([]float64); ok {
		return v, nil
	}
	if x.DType == ir.Int64 {
		out := make([]float64, x.Len())
		for i, v := range x.Data.([]int64) {
			out[i] = float64(v)
		}
		return out, nil
	}
	f, err := x.Float32s()
	if err != nil {
		return nil, unsupported("Cast from %v", x.DType)
	}
	out := make([]float64, len(f))
	for i, v := range f {
		out[i] = float64(v)
	}
	return out, nil
}

// storeFloat64 writes f into y's slice, converting to y's type.
func storeFloat64(y *ir.Tensor, f []float64) {
	switch d := y.Data.(type) {
	case []uint16:
		for i, v := range f {
			switch y.DType {
			case ir.Float16:
				d[i] = float32ToFloat16(float32(v))
			case ir.BFloat16:
				d[i] = float32ToBFloat16(float32(v))
			default:
				d[i] = uint16(v)
			}
		}
	case []bool:
		for i, v := range f {
			d[i] = v != 0
		}
	default:
		storeNumeric(y.Data, f)
	}
}

func storeInt64(y *ir.Tensor, s []int64) {
	if d, ok := y.Data.([]bool); ok {
		for i, v := range s {
			d[i] = v != 0
		}
		return
	}
	storeNumeric(y.Data, s)
}

func storeNumeric[S int64 | float64](dst any, s []S) {
	switch d := dst.(type) {
	case []float32:
		convertInto(d, s)
	case []float64:
		convertInto(d, s)
	case []int8:
		convertInto(d, s)
	case []int16:
		convertInto(d, s)
	case []int32:
		convertInto(d, s)
	case []int64:
		convertInto(d, s)
	case []uint8:
		convertInto(d, s)
	case []uint16:
		convertInto(d, s)
	case []uint32:
		convertInto(d, s)
	case []uint64:
		convertInto(d, s)
	}
}

func convertInto[D number, S int64 | float64](dst []D, src []S) {
	for i, v := range src {
		dst[i] = D(v)
	}
}

// float32ToFloat16 rounds to the nearest half-precision value, ties to even.
func float32ToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23&0xff) - 127 + 15
	mant := b & 0x7fffff
	switch {
	case b&0x7fffffff > 0x7f800000: // NaN
		return sign | 0x7e00
	case exp >= 0x1f: // overflow or inf
		return sign | 0x7c00
	case exp <= 0: // subnormal or zero
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint(14 - exp)
		return sign | uint16(roundShift(mant, shift))
	}
	return sign | uint16(roundShift(uint32(exp)<<23|mant, 13)) // carry may round up into the exponent
}

// roundShift shifts v right by s bits, rounding to nearest, ties to even.
func roundShift(v uint32, s uint) uint32 {
	half := uint32(1) << (s - 1)
	r := v >> s
	rem := v & (1<<s - 1)
	if rem > half || rem == half && r&1 == 1 {
		r++
	}
	return r
}

// float32ToBFloat16 keeps the high 16 bits (truncation, as ONNX's backend
// test data for Cast expects); NaN stays NaN.
func float32ToBFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	return uint16(b >> 16)
}
