package dataset

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bincompress/bincompress/internal/dataset/datasettest"
)

// TestLimitReadsOnlyWhatItNeeds (issue 18): a 2.3 MB gzipped IDX file of 3
// million 28×28 images (2.35 GB inflated) opened with Limit 100 reads 100
// images and their labels, in well under a megabyte of allocation.
func TestLimitReadsOnlyWhatItNeeds(t *testing.T) {
	const n, side = 3_000_000, 28
	dir := t.TempDir()
	img := datasettest.ZeroGzip(idxBytes([]int{n, side, side}, nil), n*side*side)
	writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"), img)
	writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte.gz"), datasettest.ZeroGzip(idxBytes([]int{n}, nil), n))
	t.Logf("images file: %.1f MB gzipped", float64(len(img))/1e6)
	var s *Splits
	var err error
	begin := time.Now()
	alloc := datasettest.Allocated(func() { s, err = OpenWith(dir, Options{Limit: 100}) })
	must(t, err)
	if s.Train.Len() != 100 || s.Train.Info().Classes != 1 { // every label 0
		t.Fatalf("%d images, %d classes; want 100 and 1", s.Train.Len(), s.Train.Info().Classes)
	}
	if alloc > 4<<20 || time.Since(begin) > 5*time.Second {
		t.Fatalf("Limit 100 allocated %d bytes in %v", alloc, time.Since(begin))
	}
}

// TestGzipIDXRatio: a 77 KB gzipped IDX file of zeros whose header claims
// 100,000 28×28 images (78 MB, 1000× its size) is refused from its header,
// naming the file, before anything is inflated; with Limit the images read
// fit the bound and it loads. Real gzipped IDX files (2× to 5×) load.
func TestGzipIDXRatio(t *testing.T) {
	const n, side = 100_000, 28
	dir := t.TempDir()
	img := filepath.Join(dir, "train-images-idx3-ubyte.gz")
	writeFile(t, img, datasettest.ZeroGzip(idxBytes([]int{n, side, side}, nil), n*side*side))
	writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte.gz"), datasettest.ZeroGzip(idxBytes([]int{n}, nil), n))
	var err error
	alloc := datasettest.Allocated(func() { _, err = Open(dir) })
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), img) {
		t.Errorf("want ErrTooLarge naming %s, got %v", img, err)
	}
	if alloc > 4<<20 {
		t.Errorf("refusing the file allocated %d bytes", alloc)
	}
	s, err := OpenWith(dir, Options{Limit: 1000})
	if err != nil || s.Train.Len() != 1000 {
		t.Errorf("Limit 1000: %v", err)
	}
	real := "/usr/share/datasets/fashion-mnist"
	if _, err := os.Stat(filepath.Join(real, "train-images-idx3-ubyte.gz")); err != nil {
		real = t.TempDir() // images that compress like real ones: random bytes
		rnd := rand.New(rand.NewPCG(1, 2))
		pix := make([]byte, 1000*side*side)
		for i := range pix {
			pix[i] = byte(rnd.UintN(256))
		}
		writeFile(t, filepath.Join(real, "train-images-idx3-ubyte.gz"), gzBytes(idxBytes([]int{1000, side, side}, pix)))
		writeFile(t, filepath.Join(real, "train-labels-idx1-ubyte.gz"), gzBytes(idxBytes([]int{1000}, make([]byte, 1000))))
	}
	if _, err := Open(real); err != nil {
		t.Errorf("%s: %v", real, err)
	}
}

// TestPixelCeiling (issue 18): ten valid 16384×16384 PNGs of a few hundred
// KB each (268 megapixels: gigabytes once decoded) are refused from their
// headers, before any decoding, naming the file and the ceiling; a lower
// ceiling refuses smaller images, a higher one lets them through.
func TestPixelCeiling(t *testing.T) {
	root := t.TempDir()
	big := datasettest.ZeroPNG(16384, 16384)
	for i := range 10 {
		writeFile(t, filepath.Join(root, fmt.Sprintf("c%d", i%2), fmt.Sprintf("%d.png", i)), big)
	}
	t.Logf("PNG of 16384x16384: %d KB", len(big)>>10)
	var batchErr, shapeErr error
	alloc := datasettest.Allocated(func() {
		s, err := Open(root)
		must(t, err)
		_, shapeErr = s.Train.Shape(0)
		cfg := BatchConfig{Size: 5, Workers: 4, Prep: Preprocess{Resize: []int{32}}}
		for _, err := range Batches(t.Context(), s.Train, cfg) {
			batchErr = err
		}
	})
	for _, err := range []error{shapeErr, batchErr} {
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "16384x16384") || !strings.Contains(err.Error(), root) {
			t.Errorf("want ErrTooLarge naming the file and size, got %v", err)
		}
	}
	if alloc > 16<<20 {
		t.Errorf("refusing the images allocated %d bytes", alloc)
	}
	small := filepath.Join(t.TempDir(), "a", "x.png")
	writeFile(t, small, datasettest.ZeroPNG(300, 200))
	for limit, ok := range map[int64]bool{59_999: false, 60_000: true} {
		s, err := OpenWith(filepath.Dir(filepath.Dir(small)), Options{MaxPixels: limit})
		must(t, err)
		if _, err := s.Train.Image(0); (err == nil) != ok || (err != nil && !errors.Is(err, ErrTooLarge)) {
			t.Errorf("300x200 image under a ceiling of %d pixels: %v", limit, err)
		}
	}
}
