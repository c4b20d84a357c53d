package onnx

import (
	"path/filepath"

	"github.com/bincompress/bincompress/internal/safefile"
	"github.com/bincompress/bincompress/ir"
)

// MaxFileBytes bounds a model file: protobuf messages cannot exceed 2 GiB,
// so a larger file is not a model, and nothing larger is read into memory.
const MaxFileBytes = 2<<30 - 1

// ReadFile reads an ONNX model from path, resolving external data only
// inside the model's own folder.
func ReadFile(path string) (*ir.Model, error) {
	m, _, err := ReadFileRaw(path)
	return m, err
}

// ReadFileRaw is ReadFile that also returns the file's bytes (for a digest
// of the source model).
func ReadFileRaw(path string) (*ir.Model, []byte, error) {
	data, err := safefile.ReadRegular(path, MaxFileBytes)
	if err != nil {
		return nil, nil, &FormatError{Path: path, Reason: "cannot read model", Err: err}
	}
	m, err := (&decoder{dir: filepath.Dir(path)}).model(data)
	if err != nil {
		return nil, nil, withPath(err, path)
	}
	return m, data, nil
}

// WriteFile encodes m and writes it to path through a temporary file in
// the same folder that is synced and then renamed into place, so that a
// failure leaves neither a partial file nor the temporary one
// (internal/safefile).
func WriteFile(path string, m *ir.Model) error {
	data, err := Encode(m)
	if err != nil {
		return withPath(err, path)
	}
	if err := safefile.WriteFile(path, data); err != nil {
		return &FormatError{Path: path, Reason: "cannot write model", Err: err}
	}
	return nil
}
