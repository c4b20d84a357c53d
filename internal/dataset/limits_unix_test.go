//go:build unix

package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOnlyRegularFiles (issue 18): a FIFO where an image, IDX or NPY file
// is expected is refused at once, not waited on, whether it is there when
// the folder is listed or swapped in later.
func TestOnlyRegularFiles(t *testing.T) {
	fifo := func(path string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			panic(err)
		}
		if err := syscall.Mkfifo(path, 0o644); err != nil {
			panic(err)
		}
	}
	root, idx := t.TempDir(), t.TempDir()
	writePNG(t, filepath.Join(root, "a", "ok.png"), grayImage(4, 4, 1))
	writeIDXSplit(t, idx, "train", 3, 2, 2, false)
	done := make(chan struct{})
	go func() { // t.Error only: a blocked read must fail the test, not hang it
		defer close(done)
		fifo(filepath.Join(root, "b", "pipe.png"))
		if _, err := Open(root); !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "pipe.png") {
			t.Errorf("FIFO in a class folder: %v", err)
		}
		os.Remove(filepath.Join(root, "b", "pipe.png"))
		os.WriteFile(filepath.Join(root, "b", "pipe.png"), []byte("later a FIFO"), 0o644)
		f, err := OpenFolder(root)
		if err != nil {
			t.Error(err)
			return
		}
		os.Remove(f.File(1))
		fifo(f.File(1))
		if _, err := f.Image(1); !errors.Is(err, ErrNotRegular) {
			t.Errorf("FIFO swapped in after listing: %v", err)
		}
		os.Remove(filepath.Join(idx, "train-labels-idx1-ubyte"))
		fifo(filepath.Join(idx, "train-labels-idx1-ubyte"))
		if _, err := Open(filepath.Join(idx, "train-images-idx3-ubyte")); err == nil {
			t.Error("IDX labels from a FIFO accepted")
		}
		if _, err := Open(filepath.Join(idx, "train-labels-idx1-ubyte")); !errors.Is(err, ErrNotRegular) {
			t.Errorf("FIFO as the data path: %v", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("reading a FIFO blocked")
	}
}
