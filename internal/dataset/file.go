package dataset

import (
	"fmt"
	"os"
)

// openRegular opens path for reading only if it is a regular file (links
// followed). The open itself does not block on a FIFO (openFlags), and the
// check is made on the opened descriptor, so a file swapped for a FIFO or a
// device after a directory listing is refused, not waited on.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%w: %s is not a regular file (%v)", ErrNotRegular, path, st.Mode().Type())
	}
	return f, nil
}

// isRegular reports whether path is a regular file, links followed.
func isRegular(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
