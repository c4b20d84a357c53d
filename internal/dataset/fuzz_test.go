package dataset

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzIDX feeds arbitrary bytes to the IDX decoder: it must never panic,
// reject anything with ErrCorrupt, and return exactly the bytes the
// dimensions promise.
func FuzzIDX(f *testing.F) {
	img := idxBytes([]int{2, 3, 3}, pattern(18, 0))
	f.Add(img)
	f.Add(gzBytes(img))
	f.Add(idxBytes([]int{1 << 20, 1 << 20, 1 << 20}, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		dims, data, err := decodeIDX(bytes.NewReader(b), int64(len(b)), "fuzz", 3, 0)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		if len(dims) != 3 || len(data) != dims[0]*dims[1]*dims[2] {
			t.Fatalf("dims %v with %d bytes", dims, len(data))
		}
	})
}
