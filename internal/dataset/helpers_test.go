package dataset

import (
	"bytes"
	"compress/gzip"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/bincompress/bincompress/internal/dataset/datasettest"
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// idxBytes builds an unsigned-byte IDX file.
var idxBytes = datasettest.IDX

func gzBytes(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b) // writes to a bytes.Buffer cannot fail
	w.Close()
	return buf.Bytes()
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(path), 0o755))
	must(t, os.WriteFile(path, b, 0o644))
}

// pattern is a deterministic test image: pixel value from its position.
func pattern(n int, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + seed*31)
	}
	return b
}

// writeIDXSplit writes prefix-images/labels for n h×w images.
func writeIDXSplit(t *testing.T, dir, prefix string, n, h, w int, compress bool) ([]byte, []byte) {
	pix, lab := pattern(n*h*w, n), make([]byte, n)
	for i := range lab {
		lab[i] = byte(i % 10)
	}
	img, lb := idxBytes([]int{n, h, w}, pix), idxBytes([]int{n}, lab)
	ext := ""
	if compress {
		img, lb, ext = gzBytes(img), gzBytes(lb), ".gz"
	}
	writeFile(t, filepath.Join(dir, prefix+"-images-idx3-ubyte"+ext), img)
	writeFile(t, filepath.Join(dir, prefix+"-labels-idx1-ubyte"+ext), lb)
	return pix, lab
}

// writePNG writes a w×h image whose pixel (x, y) is f(x, y).
func writePNG(t *testing.T, path string, m image.Image) {
	var buf bytes.Buffer
	must(t, png.Encode(&buf, m))
	writeFile(t, path, buf.Bytes())
}

func writeJPEG(t *testing.T, path string, m image.Image) {
	var buf bytes.Buffer
	must(t, jpeg.Encode(&buf, m, &jpeg.Options{Quality: 100}))
	writeFile(t, path, buf.Bytes())
}

func grayImage(w, h int, seed int) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	copy(m.Pix, pattern(w*h, seed))
	return m
}

func rgbaImage(w, h int, seed int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, color.NRGBA{byte(x*40 + seed), byte(y * 50), byte(x + y + seed), byte(100 + x)})
		}
	}
	return m
}

// collect runs Batches to the end.
func collect(t *testing.T, ds Dataset, cfg BatchConfig) []*Batch {
	t.Helper()
	var out []*Batch
	for b, err := range Batches(t.Context(), ds, cfg) {
		must(t, err)
		out = append(out, b)
	}
	return out
}

// shapeOf is ds.Shape(i), which must not fail.
func shapeOf(t *testing.T, ds Dataset, i int) Shape {
	t.Helper()
	s, err := ds.Shape(i)
	must(t, err)
	return s
}
