package npy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// WriteFloat32 writes a float32 array of the given shape to w.
func WriteFloat32(w io.Writer, shape []int, data []float32) error {
	return Write(w, &Array{Shape: shape, DType: "float32", Data: data})
}

// WriteInt64 writes an int64 array of the given shape to w.
func WriteInt64(w io.Writer, shape []int, data []int64) error {
	return Write(w, &Array{Shape: shape, DType: "int64", Data: data})
}

// Write writes a in .npy format (version 1.0 unless the header needs 2.0),
// byte for byte as numpy.save does.
func Write(w io.Writer, a *Array) error {
	raw, err := encodeData(a)
	if err != nil {
		return err
	}
	hdr, err := formatHeader(a)
	if err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("npy: writing header: %w", err)
	}
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("npy: writing data: %w", err)
	}
	return nil
}

// WriteFile writes a to path through a temporary file in the same folder
// that is renamed into place, so a failure leaves no partial file.
func WriteFile(path string, a *Array) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(f)
	if err = Write(bw, a); err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	return nil
}

// formatHeader renders numpy's header: sorted keys, repr values, 21 minus
// the digits of the first dimension as spare spaces, then spaces and a
// newline up to a multiple of 64 bytes.
func formatHeader(a *Array) ([]byte, error) {
	descr := map[string]string{"float32": "<f4", "float64": "<f8", "int64": "<i8", "int32": "<i4", "int16": "<i2", "int8": "|i1",
		"uint64": "<u8", "uint32": "<u4", "uint16": "<u2", "uint8": "|u1"}[a.DType]
	dims := make([]string, len(a.Shape))
	for i, d := range a.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := "(" + strings.Join(dims, ", ") + ")"
	if len(dims) == 1 {
		shape = "(" + dims[0] + ",)"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
	if len(dims) > 0 {
		dict += strings.Repeat(" ", max(0, growthDigits-len(dims[0])))
	}
	for _, pre := range []int{prefixLenV1, prefixLenV2V3} {
		hlen := len(dict) + 1
		pad := arrayAlign - (pre+hlen)%arrayAlign
		total := hlen + pad
		if pre == prefixLenV1 && total > math.MaxUint16 {
			continue
		}
		b := make([]byte, 0, pre+total)
		b = append(b, magic...)
		if pre == prefixLenV1 {
			b = append(b, 1, 0)
			b = binary.LittleEndian.AppendUint16(b, uint16(total))
		} else {
			b = append(b, 2, 0)
			b = binary.LittleEndian.AppendUint32(b, uint32(total))
		}
		b = append(b, dict...)
		b = append(b, strings.Repeat(" ", pad)...)
		return append(b, '\n'), nil
	}
	return nil, fmt.Errorf("npy: header for shape %v too long", a.Shape)
}

// encodeData checks a and returns its data as little-endian bytes.
func encodeData(a *Array) ([]byte, error) {
	for _, d := range a.Shape {
		if d < 0 {
			return nil, fmt.Errorf("npy: negative dimension in shape %v", a.Shape)
		}
	}
	if _, ok := elementCount(a.Shape, 8); !ok {
		return nil, fmt.Errorf("npy: shape %v is too large", a.Shape)
	}
	if want := "[]" + a.DType; want != fmt.Sprintf("%T", a.Data) {
		return nil, fmt.Errorf("npy: dtype %q does not match data of type %T", a.DType, a.Data)
	}
	n := a.Len()
	le := binary.LittleEndian
	var raw []byte
	var have int
	switch d := a.Data.(type) {
	case []float32:
		have, raw = len(d), make([]byte, 0, 4*len(d))
		for _, v := range d {
			raw = le.AppendUint32(raw, math.Float32bits(v))
		}
	case []float64:
		have, raw = len(d), make([]byte, 0, 8*len(d))
		for _, v := range d {
			raw = le.AppendUint64(raw, math.Float64bits(v))
		}
	case []int64:
		have, raw = len(d), make([]byte, 0, 8*len(d))
		for _, v := range d {
			raw = le.AppendUint64(raw, uint64(v))
		}
	case []int32:
		have, raw = len(d), make([]byte, 0, 4*len(d))
		for _, v := range d {
			raw = le.AppendUint32(raw, uint32(v))
		}
	case []int16:
		have, raw = len(d), encodeEach(d, 2, func(b []byte, v int16) []byte { return le.AppendUint16(b, uint16(v)) })
	case []int8:
		have, raw = len(d), encodeEach(d, 1, func(b []byte, v int8) []byte { return append(b, byte(v)) })
	case []uint64:
		have, raw = len(d), encodeEach(d, 8, le.AppendUint64)
	case []uint32:
		have, raw = len(d), encodeEach(d, 4, le.AppendUint32)
	case []uint16:
		have, raw = len(d), encodeEach(d, 2, le.AppendUint16)
	case []uint8:
		have, raw = len(d), d
	default:
		return nil, fmt.Errorf("npy: unsupported data type %T", a.Data)
	}
	if have != n {
		return nil, fmt.Errorf("npy: shape %v needs %d elements, data has %d", a.Shape, n, have)
	}
	return raw, nil
}

// encodeEach appends each item of d (size bytes each) to a new slice.
func encodeEach[T any](d []T, size int, appendItem func([]byte, T) []byte) []byte {
	raw := make([]byte, 0, size*len(d))
	for _, v := range d {
		raw = appendItem(raw, v)
	}
	return raw
}
