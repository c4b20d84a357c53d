package onnx

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

// testdataModels lists every *.onnx file under the repository's testdata.
func testdataModels(t *testing.T) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir("../testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".onnx") {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no *.onnx files under ../testdata")
	}
	return paths
}

// TestRoundTrip: for every testdata model, Decode -> Encode -> Decode gives
// the same IR, and encoding that again gives the same bytes.
func TestRoundTrip(t *testing.T) {
	for _, path := range testdataModels(t) {
		t.Run(modelName(path), func(t *testing.T) {
			m, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			checkRoundTrip(t, m)
		})
	}
}

// checkRoundTrip encodes m, decodes the bytes and re-encodes, failing on
// an IR difference or on bytes that change (Encode must be a fixed point).
func checkRoundTrip(t testing.TB, m *ir.Model) {
	t.Helper()
	enc, err := Encode(m)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	back, err := Decode(enc)
	if err != nil {
		t.Fatalf("decode of encoded model: %v", err)
	}
	if d := diffModels(m, back); d != "" {
		t.Fatalf("round trip changed the model: %s", d)
	}
	again, err := Encode(back)
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	if !bytes.Equal(enc, again) {
		t.Fatalf("re-encoding gives different bytes (%d vs %d)", len(enc), len(again))
	}
}

// modelName is a model path relative to ../testdata, for subtest names.
func modelName(path string) string {
	return strings.TrimPrefix(filepath.ToSlash(path), "../testdata/")
}

// BenchmarkReadFile reads the largest ResNet in testdata.
func BenchmarkReadFile(b *testing.B) {
	path := "../testdata/models/resnet50_w8_op17.onnx"
	for b.Loop() {
		if _, err := ReadFile(path); err != nil {
			b.Skip(err)
		}
	}
}

// BenchmarkEncode encodes the largest ResNet in testdata.
func BenchmarkEncode(b *testing.B) {
	m, err := ReadFile("../testdata/models/resnet50_w8_op17.onnx")
	if err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		if _, err := Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}
