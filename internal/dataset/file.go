package dataset

import (
	"fmt"
	"math"
	"os"

	"github.com/bincompress/bincompress/internal/safefile"
)

// openRegular is safefile.OpenRegular with the path named: data files are
// read only if they are regular, and never block on a FIFO.
func openRegular(path string) (*os.File, error) {
	f, err := safefile.OpenRegular(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", path, err)
	}
	return f, nil
}

// isRegular reports whether path is a regular file, links followed.
func isRegular(path string) bool {
	_, err := safefile.CheckRegular(path, math.MaxInt64)
	return err == nil
}
