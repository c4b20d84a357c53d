package safefile

import (
	"fmt"
	"os"
)

// OpenRegular opens path for reading, for a caller that streams it, only if
// it is a regular file (links followed). The open itself does not wait for
// a FIFO's writer (openFlags), and the check is made on the open file, so a
// path swapped for a FIFO or a device after a listing or CheckRegular is
// refused, not waited on. Errors do not repeat the path.
func OpenRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, pathless(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, pathless(err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%w: it is %s", ErrNotRegular, Kind(st.Mode()))
	}
	return f, nil
}
