package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/bincompress/bincompress/onnx/internal/onnxpb"
)

// Fixtures that Encode cannot produce (it always writes raw_data inline):
// typed data fields and external data, built at the protobuf level.

// typedFieldsProto is dtypesModel with every initializer in the typed field
// ONNX assigns to its element type instead of raw_data.
func typedFieldsProto(t testing.TB) *onnxpb.ModelProto {
	p, err := modelToProto(dtypesModel())
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range p.Graph.Initializer {
		if err := moveToTypedField(tp); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// moveToTypedField rewrites raw_data into the typed field, with float16,
// bfloat16, bool and the small integers widened into int32_data.
func moveToTypedField(p *onnxpb.TensorProto) error {
	dec, err := (&decoder{}).tensor(p)
	if err != nil {
		return err
	}
	p.RawData = nil
	switch v := dec.Data.(type) {
	case []float32:
		p.FloatData = v
	case []float64:
		p.DoubleData = v
	case []int64:
		p.Int64Data = v
	case []uint64:
		p.Uint64Data = v
	case []uint32:
		p.Uint64Data = convert(v, func(x uint32) uint64 { return uint64(x) })
	case []int32:
		p.Int32Data = v
	case []int16:
		p.Int32Data = convert(v, func(x int16) int32 { return int32(x) })
	case []int8:
		p.Int32Data = convert(v, func(x int8) int32 { return int32(x) })
	case []uint8:
		p.Int32Data = convert(v, func(x uint8) int32 { return int32(x) })
	case []uint16:
		p.Int32Data = convert(v, func(x uint16) int32 { return int32(x) })
	case []bool:
		p.Int32Data = convert(v, func(x bool) int32 { return int32(boolByte(x)) })
	case [][]byte:
		p.StringData = v
	default:
		return fmt.Errorf("no typed field for %T", v)
	}
	return nil
}

// externalFiles are the tinyConvNet initializers stored in weights.bin.
var externalFiles = []string{"conv.w", "fc.w"}

// writeExternalFixture writes tinyConvNet to dir/model.onnx with the
// externalFiles initializers in dir/weights.bin (the second one at a
// 64-byte-aligned offset, as ONNX's exporters align them).
func writeExternalFixture(t testing.TB, dir string) {
	p, err := modelToProto(tinyConvNet())
	if err != nil {
		t.Fatal(err)
	}
	var blob []byte
	for _, tp := range p.Graph.Initializer {
		if !contains(externalFiles, tp.Name) {
			continue
		}
		for len(blob)%64 != 0 {
			blob = append(blob, 0xee)
		}
		setExternal(tp, "weights.bin", len(blob), len(tp.RawData))
		blob = append(blob, tp.RawData...)
		tp.RawData = nil
	}
	blob = append(blob, 0xee, 0xee) // trailing bytes no tensor uses
	writeBytes(t, filepath.Join(dir, "weights.bin"), blob)
	data, err := marshalProto(p)
	if err != nil {
		t.Fatal(err)
	}
	writeBytes(t, filepath.Join(dir, "model.onnx"), data)
}

func setExternal(tp *onnxpb.TensorProto, location string, offset, length int) {
	tp.DataLocation = onnxpb.TensorProto_EXTERNAL
	tp.ExternalData = []*onnxpb.StringStringEntryProto{
		{Key: "location", Value: location},
		{Key: "offset", Value: fmt.Sprint(offset)},
		{Key: "length", Value: fmt.Sprint(length)},
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func writeBytes(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// float32Bytes is little-endian raw data for a float32 slice.
func float32Bytes(v []float32) []byte {
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
	}
	return out
}
