package npy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrFormat marks a file that is not a valid .npy file.
	ErrFormat = errors.New("invalid npy file")
	// ErrUnsupported marks a valid .npy file this package does not handle
	// (dtypes other than the float and integer ones).
	ErrUnsupported = errors.New("unsupported npy feature")
)

// FormatError describes a problem in a .npy file.
type FormatError struct {
	File   string // file name, empty when reading from a stream
	Offset int64  // byte offset the problem was found at
	Reason string
	Err    error // ErrFormat or ErrUnsupported
}

// Error formats the file, offset and reason.
func (e *FormatError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("npy: offset %d: %s", e.Offset, e.Reason)
	}
	return fmt.Sprintf("npy: %s: offset %d: %s", e.File, e.Offset, e.Reason)
}

// Unwrap returns ErrFormat or ErrUnsupported.
func (e *FormatError) Unwrap() error { return e.Err }

func formatErr(off int64, format string, args ...any) *FormatError {
	return &FormatError{Offset: off, Reason: fmt.Sprintf(format, args...), Err: ErrFormat}
}

func unsupportedErr(off int64, format string, args ...any) *FormatError {
	return &FormatError{Offset: off, Reason: fmt.Sprintf(format, args...), Err: ErrUnsupported}
}

// Array is an n-dimensional array in C (row-major) order.
type Array struct {
	Shape []int
	// DType is one of "float32", "float64", "int64", "int32", "int16",
	// "int8", "uint64", "uint32", "uint16", "uint8" (float16 data is read
	// as "float32").
	DType string
	// Data is the slice matching DType ([]float32 for "float32", ...),
	// with Len() elements.
	Data any
}

// Len is the number of elements the shape holds (1 for a scalar).
func (a *Array) Len() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

// dtypes maps descr strings to dtype names and item sizes.
var dtypes = map[string]struct {
	name string
	size int
}{
	"<f4": {"float32", 4},
	"<f8": {"float64", 8},
	"<f2": {"float16", 2}, // widened to float32 by decode
	"<i8": {"int64", 8},
	"<i4": {"int32", 4},
	"<i2": {"int16", 2},
	"|i1": {"int8", 1},
	"<i1": {"int8", 1},
	"<u8": {"uint64", 8},
	"<u4": {"uint32", 4},
	"<u2": {"uint16", 2},
	"|u1": {"uint8", 1},
	"<u1": {"uint8", 1},
}

// Read reads one array from r, consuming exactly its header and data.
func Read(r io.Reader) (*Array, error) {
	h, err := readHeader(r)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(r, h.dataBytes))
	if err != nil {
		return nil, &FormatError{Offset: h.dataOffset, Reason: "reading data: " + err.Error(), Err: ErrFormat}
	}
	if int64(len(raw)) != h.dataBytes {
		return nil, formatErr(h.dataOffset+int64(len(raw)),
			"truncated: shape %v needs %d data bytes, found %d", h.shape, h.dataBytes, len(raw))
	}
	return decode(h, raw), nil
}

// ReadFile reads the array stored in the file at path. Besides what Read
// checks, the file must end right after the data.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	defer f.Close()
	a, _, err := ReadPrefix(f, 0)
	return a, err
}

// ReadPrefix reads the array in f, as ReadFile does, but keeps only its
// first rows entries along the first dimension (all of them when rows <= 0
// or beyond it) and reads nothing after those. declared is the shape the
// header gives.
func ReadPrefix(f *os.File, rows int) (a *Array, declared []int, err error) {
	a, declared, err = readSized(f, rows)
	var fe *FormatError
	if errors.As(err, &fe) {
		fe.File = f.Name()
	}
	return a, declared, err
}

func readSized(f *os.File, rows int) (*Array, []int, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("npy: %w", err)
	}
	h, err := readHeader(f)
	if err != nil {
		return nil, nil, err
	}
	if have := st.Size() - h.dataOffset; have != h.dataBytes {
		return nil, nil, formatErr(h.dataOffset, "shape %v needs %d data bytes, file holds %d", h.shape, h.dataBytes, have)
	}
	declared := h.shape
	if rows > 0 && len(h.shape) > 0 && rows < h.shape[0] {
		h.dataBytes = h.dataBytes / int64(h.shape[0]) * int64(rows)
		h.shape = append([]int{rows}, h.shape[1:]...)
	}
	raw := make([]byte, h.dataBytes)
	if h.fortran && len(declared) > 1 && h.shape[0] < declared[0] {
		// Column-major: the first rows entries of each column, one column
		// after another, are the prefix in Fortran order.
		run, col := int64(h.shape[0]*h.itemSize), int64(declared[0]*h.itemSize)
		for c := int64(0); c*run < h.dataBytes; c++ {
			if _, err := f.ReadAt(raw[c*run:(c+1)*run], h.dataOffset+c*col); err != nil {
				return nil, nil, &FormatError{Offset: h.dataOffset + c*col, Reason: "reading data: " + err.Error(), Err: ErrFormat}
			}
		}
	} else if _, err := io.ReadFull(f, raw); err != nil {
		return nil, nil, &FormatError{Offset: h.dataOffset, Reason: "reading data: " + err.Error(), Err: ErrFormat}
	}
	return decode(h, raw), declared, nil
}

// fortranToC reorders raw, items of size bytes in Fortran (column-major)
// order for shape, into C (row-major) order, as numpy.load gives them.
func fortranToC(raw []byte, shape []int, size int) []byte {
	k := len(shape)
	if k < 2 || len(raw) == 0 {
		return raw // a scalar, a vector or nothing: both orders are one
	}
	stride := make([]int, k) // Fortran strides, in items
	s := 1
	for i, d := range shape {
		stride[i], s = s, s*d
	}
	out := make([]byte, len(raw))
	idx := make([]int, k-1) // C index of the row along the last axis
	f, last, ls := 0, shape[k-1], stride[k-1]
	for o := 0; o < len(out); o += size * last {
		for j := range last {
			copy(out[o+j*size:o+(j+1)*size], raw[(f+j*ls)*size:])
		}
		for d := k - 2; d >= 0; d-- {
			idx[d]++
			f += stride[d]
			if idx[d] < shape[d] {
				break
			}
			f -= idx[d] * stride[d]
			idx[d] = 0
		}
	}
	return out
}

// decode converts raw bytes, of either byte order and in C or Fortran
// order, into the typed slice in C order.
func decode(h *header, raw []byte) *Array {
	if h.bigEndian && h.itemSize > 1 {
		for i := 0; i < len(raw); i += h.itemSize {
			slices.Reverse(raw[i : i+h.itemSize])
		}
	}
	if h.fortran {
		raw = fortranToC(raw, h.shape, h.itemSize)
	}
	a := &Array{Shape: h.shape, DType: h.dtype}
	n := len(raw) / h.itemSize
	le := binary.LittleEndian
	switch h.dtype {
	case "float16":
		a.DType, a.Data = "float32", decodeEach(raw, 2, func(b []byte) float32 { return halfToFloat32(le.Uint16(b)) })
	case "float32":
		d := make([]float32, n)
		for i := range d {
			d[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
		a.Data = d
	case "float64":
		d := make([]float64, n)
		for i := range d {
			d[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		}
		a.Data = d
	case "int64":
		d := make([]int64, n)
		for i := range d {
			d[i] = int64(le.Uint64(raw[8*i:]))
		}
		a.Data = d
	case "int32":
		d := make([]int32, n)
		for i := range d {
			d[i] = int32(le.Uint32(raw[4*i:]))
		}
		a.Data = d
	case "int16":
		a.Data = decodeEach(raw, 2, func(b []byte) int16 { return int16(le.Uint16(b)) })
	case "int8":
		a.Data = decodeEach(raw, 1, func(b []byte) int8 { return int8(b[0]) })
	case "uint64":
		a.Data = decodeEach(raw, 8, le.Uint64)
	case "uint32":
		a.Data = decodeEach(raw, 4, le.Uint32)
	case "uint16":
		a.Data = decodeEach(raw, 2, le.Uint16)
	default: // uint8
		a.Data = raw
	}
	return a
}

// halfToFloat32 widens an IEEE half-precision value to the float32 of the
// same value, as numpy's astype("float32") does: every half is a float32.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp, man := uint32(h>>10)&0x1f, uint32(h)&0x3ff
	switch exp {
	case 0: // zero or subnormal: man·2^-24, exact in float32
		return math.Float32frombits(sign | math.Float32bits(float32(man)/(1<<24)))
	case 0x1f: // infinity or NaN, payload kept
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
}

// decodeEach decodes raw as consecutive items of size bytes.
func decodeEach[T any](raw []byte, size int, item func([]byte) T) []T {
	d := make([]T, len(raw)/size)
	for i := range d {
		d[i] = item(raw[size*i:])
	}
	return d
}
