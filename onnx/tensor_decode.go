package onnx

import (
	"encoding/binary"
	"math"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx/internal/onnxpb"
)

// tensor converts a TensorProto to an ir.Tensor, naming the tensor in any
// error.
func (d *decoder) tensor(p *onnxpb.TensorProto) (*ir.Tensor, error) {
	t, err := d.tensorData(p)
	if err != nil {
		return nil, withTensor(err, p.GetName())
	}
	return t, nil
}

func (d *decoder) tensorData(p *onnxpb.TensorProto) (*ir.Tensor, error) {
	if p == nil {
		return nil, errorf(ErrData, "missing tensor")
	}
	dt := ir.DType(p.DataType)
	if !dt.Supported() {
		return nil, elemTypeError(p.DataType)
	}
	if p.Segment != nil {
		return nil, errorf(ErrUnsupported, "segmented tensors are not supported")
	}
	shape, n, err := checkDims(p.Dims, dt)
	if err != nil {
		return nil, err
	}
	var data any
	switch {
	case p.DataLocation == onnxpb.TensorProto_EXTERNAL:
		var raw []byte
		if raw, err = d.external(p, dt, n); err == nil {
			data, err = fromRaw(dt, raw, n)
		}
	case len(p.RawData) > 0:
		if typedCount(p) > 0 {
			return nil, errorf(ErrData, "holds both raw_data and typed data")
		}
		data, err = fromRaw(dt, p.RawData, n)
	default:
		data, err = fromTyped(p, dt, n)
	}
	if err != nil {
		return nil, err
	}
	return &ir.Tensor{Name: p.Name, DocString: p.DocString, DType: dt, Shape: shape, Data: data}, nil
}

// elemTypeError distinguishes ONNX element types the IR cannot hold from
// numbers ONNX does not define.
func elemTypeError(dt int32) error {
	name, known := onnxpb.TensorProto_DataType_name[dt]
	if !known {
		return errorf(ErrUnsupported, "unknown element type %d", dt)
	}
	return errorf(ErrUnsupported, "unsupported element type %s", name)
}

// checkDims validates dims and returns them as a shape with the element
// count. The count times the element size must fit in an int, so that no
// later size computation overflows.
func checkDims(dims []int64, dt ir.DType) ([]int, int, error) {
	limit := math.MaxInt
	if s := dt.Size(); s > 0 {
		limit /= s
	}
	shape := make([]int, len(dims))
	n := 1
	for i, d := range dims {
		if d < 0 {
			return nil, 0, errorf(ErrShape, "negative dimension in dims %v", dims)
		}
		if d > int64(limit) || (d > 0 && n > limit/int(d)) {
			return nil, 0, errorf(ErrShape, "dims %v overflow the element count", dims)
		}
		shape[i] = int(d)
		n *= int(d)
	}
	return shape, n, nil
}

// typedCount is the number of elements held in the typed data fields.
func typedCount(p *onnxpb.TensorProto) int {
	return len(p.FloatData) + len(p.Int32Data) + len(p.StringData) +
		len(p.Int64Data) + len(p.DoubleData) + len(p.Uint64Data)
}

// fromRaw decodes little-endian raw_data holding exactly n elements. The
// length is checked before anything is allocated.
func fromRaw(dt ir.DType, raw []byte, n int) (any, error) {
	size := dt.Size()
	if size == 0 {
		return nil, errorf(ErrData, "%v tensors cannot use raw_data", dt)
	}
	if len(raw) != n*size {
		return nil, errorf(ErrData, "raw data holds %d bytes, dims need %d elements of %d bytes (%d)", len(raw), n, size, n*size)
	}
	le := binary.LittleEndian
	switch dt {
	case ir.Float32:
		return rawFloat32s(raw), nil
	case ir.Float64:
		return decodeRaw(raw, 8, func(b []byte) float64 { return math.Float64frombits(le.Uint64(b)) }), nil
	case ir.Float16, ir.BFloat16, ir.Uint16:
		return decodeRaw(raw, 2, le.Uint16), nil
	case ir.Int8:
		return decodeRaw(raw, 1, func(b []byte) int8 { return int8(b[0]) }), nil
	case ir.Uint8:
		return decodeRaw(raw, 1, func(b []byte) uint8 { return b[0] }), nil
	case ir.Bool:
		return decodeRaw(raw, 1, func(b []byte) bool { return b[0] != 0 }), nil
	case ir.Int16:
		return decodeRaw(raw, 2, func(b []byte) int16 { return int16(le.Uint16(b)) }), nil
	case ir.Int32:
		return decodeRaw(raw, 4, func(b []byte) int32 { return int32(le.Uint32(b)) }), nil
	case ir.Uint32:
		return decodeRaw(raw, 4, le.Uint32), nil
	case ir.Int64:
		return decodeRaw(raw, 8, func(b []byte) int64 { return int64(le.Uint64(b)) }), nil
	case ir.Uint64:
		return decodeRaw(raw, 8, le.Uint64), nil
	}
	return nil, elemTypeError(int32(dt))
}

// rawFloat32s is decodeRaw for the common case, as a plain loop.
func rawFloat32s(raw []byte) []float32 {
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out
}

func decodeRaw[T any](raw []byte, size int, get func([]byte) T) []T {
	out := make([]T, len(raw)/size)
	for i := range out {
		out[i] = get(raw[i*size : (i+1)*size])
	}
	return out
}

// fromTyped decodes the typed data field that ONNX assigns to dt, which must
// hold exactly n elements; any other typed field must be empty.
func fromTyped(p *onnxpb.TensorProto, dt ir.DType, n int) (any, error) {
	field, count := typedField(p, dt)
	if count != typedCount(p) {
		return nil, errorf(ErrData, "%v tensor holds data in a field other than %s", dt, field)
	}
	if count != n {
		return nil, errorf(ErrData, "%s holds %d elements, dims need %d", field, count, n)
	}
	switch dt {
	case ir.Float32:
		return p.FloatData, nil
	case ir.Float64:
		return p.DoubleData, nil
	case ir.Int64:
		return p.Int64Data, nil
	case ir.Uint64:
		return p.Uint64Data, nil
	case ir.Uint32:
		return convert(p.Uint64Data, func(v uint64) uint32 { return uint32(v) }), nil
	case ir.String:
		return p.StringData, nil
	}
	return fromInt32Data(p.Int32Data, dt)
}

// typedField names the field that holds dt's elements and their count.
func typedField(p *onnxpb.TensorProto, dt ir.DType) (string, int) {
	switch dt {
	case ir.Float32:
		return "float_data", len(p.FloatData)
	case ir.Float64:
		return "double_data", len(p.DoubleData)
	case ir.Int64:
		return "int64_data", len(p.Int64Data)
	case ir.Uint32, ir.Uint64:
		return "uint64_data", len(p.Uint64Data)
	case ir.String:
		return "string_data", len(p.StringData)
	}
	return "int32_data", len(p.Int32Data)
}

// fromInt32Data narrows int32_data, which ONNX uses for every type of 32
// bits or fewer (float16 and bfloat16 as their bit patterns).
func fromInt32Data(v []int32, dt ir.DType) (any, error) {
	switch dt {
	case ir.Int32:
		return v, nil
	case ir.Int16:
		return convert(v, func(x int32) int16 { return int16(x) }), nil
	case ir.Int8:
		return convert(v, func(x int32) int8 { return int8(x) }), nil
	case ir.Uint8:
		return convert(v, func(x int32) uint8 { return uint8(x) }), nil
	case ir.Uint16, ir.Float16, ir.BFloat16:
		return convert(v, func(x int32) uint16 { return uint16(x) }), nil
	case ir.Bool:
		return convert(v, func(x int32) bool { return x != 0 }), nil
	}
	return nil, elemTypeError(int32(dt))
}

func convert[S, D any](src []S, f func(S) D) []D {
	out := make([]D, len(src))
	for i, x := range src {
		out[i] = f(x)
	}
	return out
}
