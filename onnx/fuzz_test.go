package onnx

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRead holds the reader to two properties on arbitrary bytes: Decode
// (and DecodeTensor) never panics and fails only with a one-line "onnx: "
// error; whatever it accepts re-encodes and re-decodes to an equal IR, and
// encoding is then a fixed point. Seeds: every file under ../testdata/onnx
// (valid fixtures and truncated copies in bad/).
//
//	go test ./onnx -run='^$' -fuzz=FuzzRead -fuzztime=10m -parallel=1
func FuzzRead(f *testing.F) {
	err := filepath.WalkDir(fixtureDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		f.Add(data)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			checkOneLine(t, err)
			fuzzTensor(t, data)
			return
		}
		checkRoundTrip(t, m)
	})
}

// fuzzTensor applies the same properties to DecodeTensor.
func fuzzTensor(t *testing.T, data []byte) {
	tensor, err := DecodeTensor(data)
	if err != nil {
		checkOneLine(t, err)
		return
	}
	enc, err := EncodeTensor(tensor)
	if err != nil {
		t.Fatalf("encode accepted tensor: %v", err)
	}
	back, err := DecodeTensor(enc)
	if err != nil {
		t.Fatalf("decode re-encoded tensor: %v", err)
	}
	if d := diffTensors(tensor, back); d != "" {
		t.Fatalf("tensor round trip: %s", d)
	}
	again, err := EncodeTensor(back)
	if err != nil || !bytes.Equal(enc, again) {
		t.Fatalf("tensor re-encoding differs (%v)", err)
	}
}

func checkOneLine(t *testing.T, err error) {
	msg := err.Error()
	if !strings.HasPrefix(msg, "onnx: ") || strings.Contains(msg, "\n") {
		t.Fatalf("error is not one line starting with onnx: %q", msg)
	}
}
