package onnx

import (
	"crypto/sha256"
	"hash"
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
	m, _, _, err := readFile(path, nil)
	return m, err
}

// Source is what a model read from a file amounts to: the file's bytes
// followed by the external data its tensors name, in the order they were
// read. Bytes is their total size and SHA256 their digest (the file's own
// SHA-256 when it has no external data), so a weights file beside the model
// counts in both: a .bnn records them as its source's size and digest.
type Source struct {
	Bytes    int64
	SHA256   [sha256.Size]byte
	External []string // the external data files, symlinks resolved, each once: inputs a command must not write over
}

// ReadFileSource is ReadFile that also returns the model's Source.
func ReadFileSource(path string) (*ir.Model, Source, error) {
	h := sha256.New()
	m, n, external, err := readFile(path, h)
	if err != nil {
		return nil, Source{}, err
	}
	src := Source{Bytes: n, External: external}
	h.Sum(src.SHA256[:0])
	return m, src, nil
}

// readFile reads and decodes the model at path, feeding the file and then
// its external data to digest (when not nil); n is their total size,
// external the external data files.
func readFile(path string, digest hash.Hash) (m *ir.Model, n int64, external []string, err error) {
	data, err := safefile.ReadRegular(path, MaxFileBytes)
	if err != nil {
		return nil, 0, nil, &FormatError{Path: path, Reason: "cannot read model", Err: err}
	}
	if digest != nil {
		digest.Write(data)
	}
	d := &decoder{dir: filepath.Dir(path), digest: digest}
	if m, err = d.model(data); err != nil {
		return nil, 0, nil, withPath(err, path)
	}
	return m, int64(len(data)) + d.externalBytes, d.externalFiles, nil
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
