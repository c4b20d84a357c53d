package dataset

import (
	"bytes"
	"errors"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/bincompress/bincompress/internal/dataset/datasettest"
)

// FuzzIDX feeds arbitrary bytes to the IDX decoder: it must never panic,
// reject anything with ErrCorrupt (or ErrTooLarge: a gzip file whose
// dimensions claim more than maxGzipRatio times its size), and return
// exactly the bytes the dimensions promise.
func FuzzIDX(f *testing.F) {
	img := idxBytes([]int{2, 3, 3}, pattern(18, 0))
	f.Add(img)
	f.Add(gzBytes(img))
	f.Add(idxBytes([]int{1 << 20, 1 << 20, 1 << 20}, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		dims, data, err := decodeIDX(bytes.NewReader(b), int64(len(b)), "fuzz", 3, 0)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v is neither ErrCorrupt nor ErrTooLarge", err)
			}
			return
		}
		if len(dims) != 3 || len(data) != dims[0]*dims[1]*dims[2] {
			t.Fatalf("dims %v with %d bytes", dims, len(data))
		}
	})
}

// FuzzImage feeds arbitrary bytes to the image decoder under a small pixel
// ceiling: it must never panic, reject anything with ErrImage or
// ErrTooLarge, and return a whole CHW image within the ceiling.
func FuzzImage(f *testing.F) {
	var pngBytes, jpegBytes bytes.Buffer
	must(f, png.Encode(&pngBytes, rgbaImage(5, 4, 1)))
	must(f, jpeg.Encode(&jpegBytes, grayImage(6, 3, 2), nil))
	f.Add(pngBytes.Bytes())
	f.Add(jpegBytes.Bytes())
	f.Add(datasettest.ZeroPNG(16384, 16384))
	var bmpBytes, tiffBytes bytes.Buffer
	must(f, bmp.Encode(&bmpBytes, rgbaImage(3, 2, 1)))
	must(f, tiff.Encode(&tiffBytes, grayImage(4, 3, 1), &tiff.Options{Compression: tiff.Deflate}))
	f.Add(bmpBytes.Bytes())
	f.Add(tiffBytes.Bytes())
	f.Add([]byte(patternWebP))
	f.Add([]byte(transparentGIF))
	pnms, err := filepath.Glob("testdata/netpbm/*.p?m")
	must(f, err)
	for _, name := range pnms { // P1 to P6, maxval 1 to 65535, header comments
		b, err := os.ReadFile(name)
		must(f, err)
		f.Add(b)
	}
	f.Add([]byte("P5 16384 16384 255\n\x00"))
	f.Add([]byte("P3 2 1 65535 # c\n65535 0 1 2 3 4"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "img")
		must(t, os.WriteFile(path, b, 0o600))
		const ceiling = 1 << 12
		img, err := newDecoder(ceiling).decode(path)
		if err != nil {
			if !errors.Is(err, ErrImage) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v is neither ErrImage nor ErrTooLarge", err)
			}
			return
		}
		if img.H*img.W > ceiling || (img.C != 1 && img.C != 3) || len(img.U8) != img.Len() {
			t.Fatalf("image %v with %d bytes", img.Shape, len(img.U8))
		}
	})
}

// FuzzCIFAR feeds arbitrary bytes as a CIFAR-10 batch file: never a panic;
// a file that is not whole records is ErrCorrupt, a label past 9 ErrLabel;
// what loads has one label in [0,10) per 3x32x32 image.
func FuzzCIFAR(f *testing.F) {
	rec := append([]byte{7}, pattern(3*32*32, 3)...)
	f.Add(rec)
	f.Add(append(rec, rec[:100]...))
	f.Add(append([]byte{12}, rec[1:]...))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "data_batch_1.bin")
		must(t, os.WriteFile(path, b, 0o600))
		m, err := loadCIFAR(cifar10, []string{path}, 0)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrLabel) && !errors.Is(err, ErrEmpty) {
				t.Fatalf("error %v is not ErrCorrupt, ErrLabel or ErrEmpty", err)
			}
			return
		}
		if len(m.U8) != len(m.Labels)*3*32*32 || maxLabel(m.Labels) >= 10 {
			t.Fatalf("%d labels (largest %d) for %d bytes of pixels", len(m.Labels), maxLabel(m.Labels), len(m.U8))
		}
	})
}
