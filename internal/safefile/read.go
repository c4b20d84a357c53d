package safefile

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Errors of ReadRegular and CheckRegular, matched with errors.Is.
var (
	// ErrNotRegular: the path is a folder, a device, a FIFO or a socket.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge: the file is larger than the caller's limit.
	ErrTooLarge = errors.New("file too large")
)

// ReadRegular reads a whole regular file of at most limit bytes. It checks
// the path before opening it (so a FIFO cannot block the open) and the open
// file after (so a swap in between is caught), and never reads past the size
// it checked (so /dev/zero or a growing file cannot exhaust memory). Errors
// do not repeat the path: the caller names the file.
func ReadRegular(path string, limit int64) ([]byte, error) {
	f, size, err := OpenChecked(path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data := make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("reading %d bytes: %w", size, err)
	}
	return data, nil
}

// OpenChecked opens path for reading with ReadRegular's checks, for a
// caller that reads it in pieces: a regular file of at most limit bytes,
// the same one that was checked. It returns the file and its size.
func OpenChecked(path string, limit int64) (*os.File, int64, error) {
	before, err := CheckRegular(path, limit)
	if err != nil {
		return nil, 0, err
	}
	f, err := OpenRegular(path) // a FIFO swapped in since the check does not block
	if err != nil {
		return nil, 0, err
	}
	after, err := f.Stat()
	if err == nil && !os.SameFile(before, after) {
		err = errors.New("the file was replaced while it was opened")
	} else if err == nil {
		err = checkInfo(after, limit)
	} else {
		err = pathless(err)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, after.Size(), nil
}

// CheckRegular stats path (following links) and returns an error unless it
// is a regular file of at most limit bytes.
func CheckRegular(path string, limit int64) (os.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, pathless(err)
	}
	return fi, checkInfo(fi, limit)
}

func checkInfo(fi os.FileInfo, limit int64) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: it is %s", ErrNotRegular, Kind(fi.Mode()))
	}
	if fi.Size() > limit {
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, fi.Size(), limit)
	}
	return nil
}

// Kind names a file mode's type for messages: "a folder", "a FIFO", ...
func Kind(m os.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a folder"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file"
}
