package npy

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzRead feeds arbitrary bytes to Read: it must never panic, and whatever
// it accepts must survive a Write/Read round trip unchanged.
func FuzzRead(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.npy")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(build("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }", 8))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, a); err != nil {
			t.Fatalf("cannot write what was read: %v", err)
		}
		c, err := Read(&buf)
		if err != nil {
			t.Fatalf("cannot read what was written: %v", err)
		}
		if !reflect.DeepEqual(a.Shape, c.Shape) || a.DType != c.DType || !bytes.Equal(rawBytes(t, a), rawBytes(t, c)) {
			t.Fatalf("round trip changed %v %s", a.Shape, a.DType)
		}
	})
}

func rawBytes(t *testing.T, a *Array) []byte {
	b, err := encodeData(a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
