package ortref

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/bincompress/bincompress/ir"
)

// dtypeByName maps the manifest's dtype names (ir.DType.String) to the types
// onnxruntime-node exchanges. bfloat16 and string are not among them.
var dtypeByName = map[string]ir.DType{
	"float32": ir.Float32, "float64": ir.Float64, "float16": ir.Float16,
	"int8": ir.Int8, "uint8": ir.Uint8, "int16": ir.Int16, "uint16": ir.Uint16,
	"int32": ir.Int32, "uint32": ir.Uint32, "int64": ir.Int64, "uint64": ir.Uint64,
	"bool": ir.Bool,
}

var le = binary.LittleEndian

// encodeData returns t's elements as raw little-endian bytes (bool: one byte,
// 0 or 1).
func encodeData(t *ir.Tensor) ([]byte, error) {
	if _, ok := dtypeByName[t.DType.String()]; !ok {
		return nil, fmt.Errorf("element type %v is not supported by onnxruntime-node", t.DType)
	}
	buf := make([]byte, t.Len()*t.DType.Size())
	switch v := t.Data.(type) {
	case []float32:
		for i, x := range v {
			le.PutUint32(buf[4*i:], math.Float32bits(x))
		}
	case []float64:
		for i, x := range v {
			le.PutUint64(buf[8*i:], math.Float64bits(x))
		}
	case []uint16:
		for i, x := range v {
			le.PutUint16(buf[2*i:], x)
		}
	case []int8:
		for i, x := range v {
			buf[i] = byte(x)
		}
	case []uint8:
		copy(buf, v)
	case []int16:
		for i, x := range v {
			le.PutUint16(buf[2*i:], uint16(x))
		}
	case []int32:
		for i, x := range v {
			le.PutUint32(buf[4*i:], uint32(x))
		}
	case []uint32:
		for i, x := range v {
			le.PutUint32(buf[4*i:], x)
		}
	case []int64:
		for i, x := range v {
			le.PutUint64(buf[8*i:], uint64(x))
		}
	case []uint64:
		for i, x := range v {
			le.PutUint64(buf[8*i:], x)
		}
	case []bool:
		for i, x := range v {
			if x {
				buf[i] = 1
			}
		}
	default:
		return nil, fmt.Errorf("unsupported data %T", t.Data)
	}
	return buf, nil
}

// decodeData turns raw little-endian bytes into the Go slice that holds dt
// (see ir.DType.MakeSlice); len(raw) is a multiple of dt.Size().
func decodeData(dt ir.DType, raw []byte) (any, error) {
	n := len(raw) / dt.Size()
	s, err := dt.MakeSlice(n)
	if err != nil {
		return nil, err
	}
	switch v := s.(type) {
	case []float32:
		for i := range v {
			v[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
	case []float64:
		for i := range v {
			v[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		}
	case []uint16:
		for i := range v {
			v[i] = le.Uint16(raw[2*i:])
		}
	case []int8:
		for i := range v {
			v[i] = int8(raw[i])
		}
	case []uint8:
		copy(v, raw)
	case []int16:
		for i := range v {
			v[i] = int16(le.Uint16(raw[2*i:]))
		}
	case []int32:
		for i := range v {
			v[i] = int32(le.Uint32(raw[4*i:]))
		}
	case []uint32:
		for i := range v {
			v[i] = le.Uint32(raw[4*i:])
		}
	case []int64:
		for i := range v {
			v[i] = int64(le.Uint64(raw[8*i:]))
		}
	case []uint64:
		for i := range v {
			v[i] = le.Uint64(raw[8*i:])
		}
	case []bool:
		for i := range v {
			if raw[i] > 1 {
				return nil, fmt.Errorf("bool element %d is byte %d, want 0 or 1", i, raw[i])
			}
			v[i] = raw[i] == 1
		}
	default:
		return nil, fmt.Errorf("unsupported element type %v", dt)
	}
	return s, nil
}
