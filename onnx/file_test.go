package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bincompress/bincompress/internal/safefile"
	"github.com/bincompress/bincompress/ir"
)

func TestWriteFileReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	if err := os.WriteFile(path, []byte("old contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := tinyConvNet()
	if err := WriteFile(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffModels(want, got); d != "" {
		t.Error(d)
	}
	onlyFiles(t, dir, "m.onnx")
}

// TestWriteFileFailureLeavesNothing: a model that cannot be encoded, or a
// folder that cannot be written, leaves no file behind and keeps an
// existing one intact.
func TestWriteFileFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	bad := tinyConvNet()
	bad.Graph.Initializers[0].Shape = []int{1000} // data holds 108
	err := WriteFile(filepath.Join(dir, "new.onnx"), bad)
	checkBadError(t, err, ErrInvalidModel, "new.onnx", `"conv.w"`)
	onlyFiles(t, dir)

	keep := filepath.Join(dir, "keep.onnx")
	if err := os.WriteFile(keep, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(keep, &ir.Model{}); !errors.Is(err, ErrNoGraph) {
		t.Errorf("want ErrNoGraph, got %v", err)
	}
	if b, _ := os.ReadFile(keep); string(b) != "keep" {
		t.Errorf("existing file changed to %q", b)
	}
	onlyFiles(t, dir, "keep.onnx")

	if err := WriteFile(filepath.Join(dir, "missing", "m.onnx"), tinyConvNet()); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
	onlyFiles(t, dir, "keep.onnx")
}

func onlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("folder holds %v, want %v", got, names)
	}
	for i := range names {
		if got[i] != names[i] {
			t.Fatalf("folder holds %v, want %v", got, names)
		}
	}
}

func TestEncodeInvalid(t *testing.T) {
	if _, err := Encode(nil); !errors.Is(err, ErrInvalidModel) {
		t.Errorf("nil model: %v", err)
	}
	m := tinyConvNet()
	m.Graph.Nodes[1].Attrs = append(m.Graph.Nodes[1].Attrs, &ir.Attr{Name: "t", Type: ir.AttrTensor})
	_, err := Encode(m)
	checkBadError(t, err, ErrInvalidModel, `node "bn"`, `attribute "t"`, "nil tensor")
	m = tinyConvNet()
	m.Graph.Nodes[2] = nil
	_, err = Encode(m)
	checkBadError(t, err, ErrInvalidModel, "#2")
}

// TestEncodeDeterministic: the same model encodes to the same bytes.
func TestEncodeDeterministic(t *testing.T) {
	a, err := Encode(tinyConvNet())
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		b, err := Encode(tinyConvNet())
		if err != nil {
			t.Fatal(err)
		}
		if string(a) != string(b) {
			t.Fatal("two encodings differ")
		}
	}
}

func TestTensorRoundTrip(t *testing.T) {
	for _, want := range dtypesTensors() {
		data, err := EncodeTensor(want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeTensor(data)
		if err != nil {
			t.Fatal(err)
		}
		if d := diffTensors(want, got); d != "" {
			t.Errorf("%s: %s", want.Name, d)
		}
	}
}

// TestReadFileRefusesNonRegular: a folder, a device or a FIFO is refused by
// name before anything is read or allocated; /dev/zero would otherwise grow
// until the kernel kills the process and a FIFO would block forever.
func TestReadFileRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.onnx")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, kind string }{
		{"/dev/zero", "a device"},
		{dir, "a folder"},
		{fifo, "a FIFO"},
	} {
		done := make(chan error, 1)
		go func() { _, err := ReadFile(c.path); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, safefile.ErrNotRegular) || !strings.Contains(err.Error(), c.kind) || !strings.Contains(err.Error(), c.path) {
				t.Errorf("%s: got %v, want ErrNotRegular naming the path and %q", c.path, err, c.kind)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: ReadFile blocks", c.path)
		}
	}
}

// TestExternalDataFIFO: external data that is a FIFO is refused without
// opening it (opening blocks until a writer comes).
func TestExternalDataFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "w.bin"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := writeExternalModel(t, dir, map[string]string{"location": "w.bin", "offset": "8", "length": "20"})
	done := make(chan error, 1)
	go func() { _, err := ReadFile(path); done <- err }()
	select {
	case err := <-done:
		checkBadError(t, err, ErrExternal, "w.bin", "a FIFO")
	case <-time.After(5 * time.Second):
		t.Fatal("ReadFile blocks on a FIFO holding external data")
	}
}
