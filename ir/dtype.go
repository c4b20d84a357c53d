package ir

import "fmt"

// DType is an ONNX tensor element type; the values are ONNX's
// TensorProto.DataType numbers so that conversion is a plain cast.
type DType int32

// The element types of ONNX (TensorProto.DataType).
const (
	Undefined  DType = 0
	Float32    DType = 1
	Uint8      DType = 2
	Int8       DType = 3
	Uint16     DType = 4
	Int16      DType = 5
	Int32      DType = 6
	Int64      DType = 7
	String     DType = 8
	Bool       DType = 9
	Float16    DType = 10
	Float64    DType = 11
	Uint32     DType = 12
	Uint64     DType = 13
	Complex64  DType = 14
	Complex128 DType = 15
	BFloat16   DType = 16
)

var dtypeNames = map[DType]string{
	Undefined: "undefined", Float32: "float32", Uint8: "uint8", Int8: "int8",
	Uint16: "uint16", Int16: "int16", Int32: "int32", Int64: "int64",
	String: "string", Bool: "bool", Float16: "float16", Float64: "float64",
	Uint32: "uint32", Uint64: "uint64", Complex64: "complex64",
	Complex128: "complex128", BFloat16: "bfloat16",
	// ONNX's newer types (opsets 19 and 21), which the IR cannot hold:
	// named so that the errors refusing them say which.
	17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4",
}

func (d DType) String() string {
	if s, ok := dtypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("dtype(%d)", int32(d))
}

// Size is the number of bytes one element occupies in ONNX raw_data, or 0
// for types without a fixed width (string, undefined).
func (d DType) Size() int {
	switch d {
	case Uint8, Int8, Bool:
		return 1
	case Uint16, Int16, Float16, BFloat16:
		return 2
	case Float32, Int32, Uint32:
		return 4
	case Float64, Int64, Uint64, Complex64:
		return 8
	case Complex128:
		return 16
	}
	return 0
}

// Supported reports whether the IR can hold tensor data of this type.
func (d DType) Supported() bool {
	switch d {
	case Float32, Float64, Float16, BFloat16, Int8, Int16, Int32, Int64,
		Uint8, Uint16, Uint32, Uint64, Bool, String:
		return true
	}
	return false
}

// MakeSlice returns a zeroed Go slice of n elements of the type that holds
// this DType's data: []float32 for Float32, []uint16 for Float16 and BFloat16
// (raw bits), []bool for Bool, [][]byte for String, and so on.
func (d DType) MakeSlice(n int) (any, error) {
	switch d {
	case Float32:
		return make([]float32, n), nil
	case Float64:
		return make([]float64, n), nil
	case Float16, BFloat16, Uint16:
		return make([]uint16, n), nil
	case Int8:
		return make([]int8, n), nil
	case Int16:
		return make([]int16, n), nil
	case Int32:
		return make([]int32, n), nil
	case Int64:
		return make([]int64, n), nil
	case Uint8:
		return make([]uint8, n), nil
	case Uint32:
		return make([]uint32, n), nil
	case Uint64:
		return make([]uint64, n), nil
	case Bool:
		return make([]bool, n), nil
	case String:
		return make([][]byte, n), nil
	}
	return nil, fmt.Errorf("ir: unsupported element type %v", d)
}

// DTypeOf is the element type whose data slice has data's Go type, or
// Undefined. A []uint16 reads as Uint16 (float16 and bfloat16 share it).
func DTypeOf(data any) DType {
	switch data.(type) {
	case []float32:
		return Float32
	case []float64:
		return Float64
	case []uint16:
		return Uint16
	case []int8:
		return Int8
	case []int16:
		return Int16
	case []int32:
		return Int32
	case []int64:
		return Int64
	case []uint8:
		return Uint8
	case []uint32:
		return Uint32
	case []uint64:
		return Uint64
	case []bool:
		return Bool
	case [][]byte:
		return String
	}
	return Undefined
}
