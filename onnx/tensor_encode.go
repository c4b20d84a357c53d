package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx/internal/onnxpb"
)

// tensorToProto converts t after checking that its data matches its type
// and shape. Numeric data goes to raw_data (little-endian), strings to
// string_data.
func tensorToProto(t *ir.Tensor) (*onnxpb.TensorProto, error) {
	if t == nil {
		return nil, errorf(ErrInvalidModel, "nil tensor")
	}
	if err := t.Validate(); err != nil {
		return nil, &FormatError{Tensor: t.Name, Reason: "cannot write", Err: fmt.Errorf("%w: %w", ErrInvalidModel, err)}
	}
	p := &onnxpb.TensorProto{Name: t.Name, DocString: t.DocString, DataType: int32(t.DType)}
	p.Dims = make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		p.Dims[i] = int64(d)
	}
	if s, ok := t.Data.([][]byte); ok {
		p.StringData = s
		return p, nil
	}
	p.RawData = rawBytes(t.Data)
	return p, nil
}

// rawBytes encodes a numeric slice little-endian, as ONNX raw_data.
func rawBytes(data any) []byte {
	le := binary.LittleEndian
	switch v := data.(type) {
	case []float32:
		return encodeRaw(v, 4, func(b []byte, x float32) { le.PutUint32(b, math.Float32bits(x)) })
	case []float64:
		return encodeRaw(v, 8, func(b []byte, x float64) { le.PutUint64(b, math.Float64bits(x)) })
	case []uint16:
		return encodeRaw(v, 2, le.PutUint16)
	case []int8:
		return encodeRaw(v, 1, func(b []byte, x int8) { b[0] = byte(x) })
	case []uint8:
		return encodeRaw(v, 1, func(b []byte, x uint8) { b[0] = x })
	case []bool:
		return encodeRaw(v, 1, func(b []byte, x bool) { b[0] = boolByte(x) })
	case []int16:
		return encodeRaw(v, 2, func(b []byte, x int16) { le.PutUint16(b, uint16(x)) })
	case []int32:
		return encodeRaw(v, 4, func(b []byte, x int32) { le.PutUint32(b, uint32(x)) })
	case []uint32:
		return encodeRaw(v, 4, le.PutUint32)
	case []int64:
		return encodeRaw(v, 8, func(b []byte, x int64) { le.PutUint64(b, uint64(x)) })
	case []uint64:
		return encodeRaw(v, 8, le.PutUint64)
	}
	return nil
}

func encodeRaw[T any](v []T, size int, put func([]byte, T)) []byte {
	out := make([]byte, len(v)*size)
	for i, x := range v {
		put(out[i*size:], x)
	}
	return out
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
