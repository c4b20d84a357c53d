package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadRegular(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	os.WriteFile(path, []byte("12345"), 0o644)
	if b, err := ReadRegular(path, 5); err != nil || string(b) != "12345" {
		t.Errorf("got %q, %v", b, err)
	}
	if _, err := ReadRegular(path, 4); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	open := func(path string) error { // OpenRegular, for readers that stream
		f, err := OpenRegular(path)
		if err == nil {
			f.Close()
		}
		return err
	}
	read := func(path string) error { _, err := ReadRegular(path, 1<<40); return err }
	for _, c := range []struct{ path, kind string }{{"/dev/zero", "a device"}, {dir, "a folder"}, {fifo, "a FIFO"}} {
		for name, f := range map[string]func(string) error{"ReadRegular": read, "OpenRegular": open} {
			done := make(chan error, 1)
			go func() { done <- f(c.path) }()
			select {
			case err := <-done:
				if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), c.kind) {
					t.Errorf("%s(%s): %v", name, c.path, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s(%s) blocks", name, c.path)
			}
		}
	}
	if err := open(path); err != nil {
		t.Errorf("OpenRegular of a regular file: %v", err)
	}
}
