package onnx

import (
	"os"
	"path/filepath"

	"github.com/bincompress/bincompress/ir"
)

// WriteFile encodes m and writes it to path through a temporary file in
// the same folder that is synced and then renamed into place, so that a
// failure leaves neither a partial file nor the temporary one.
func WriteFile(path string, m *ir.Model) error {
	data, err := Encode(m)
	if err != nil {
		return withPath(err, path)
	}
	if err := writeAtomic(path, data); err != nil {
		return &FormatError{Path: path, Reason: "cannot write model", Err: err}
	}
	return nil
}

func writeAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes the rename durable where the platform allows; failure is
// harmless (the file is complete either way).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
