//go:build unix

package safefile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenRegular: a regular file opens and streams; a FIFO, a device and a
// folder are refused at once, naming what they are.
func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.png")
	os.WriteFile(path, []byte("pixels"), 0o644)
	f, err := OpenRegular(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "pixels" {
		t.Errorf("read %q", b)
	}
	fifo := filepath.Join(dir, "pipe.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, kind string }{{"/dev/zero", "a device"}, {dir, "a folder"}, {fifo, "a FIFO"}} {
		done := make(chan error, 1)
		go func() {
			f, err := OpenRegular(c.path)
			if err == nil {
				f.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), c.kind) {
				t.Errorf("%s: %v", c.path, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: OpenRegular blocks", c.path)
		}
	}
}
