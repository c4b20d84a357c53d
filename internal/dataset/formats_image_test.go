package dataset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/bincompress/bincompress/internal/dataset/datasettest"
)

// patternWebP is a lossless WebP of the 4×3 RGB image whose bytes, row by
// row and pixel by pixel (HWC), are pattern(36, 1), as PIL writes it:
// Image.fromarray(p).save(f, lossless=True, quality=100, method=6, exact=True).
const patternWebP = "\x52\x49\x46\x46\x28\x00\x00\x00\x57\x45\x42\x50\x56\x50\x38\x4c\x1c\x00\x00\x00\x2f\x03\x80\x00\x00\x4d\x64\x44\xff\x03\x04\xd9\x36\x14\x55\x18\xd1\xfd\x6d\xee\x30\xf9\x73\x10\xd1\x00\xc6\x01"

// TestImageFolderOtherFormats: BMP, TIFF and WebP files, which
// torchvision's ImageFolder reads, are images of their class with the
// pixels they hold, not silently left out of the data set; GIF, which
// torchvision skips, stays out.
func TestImageFolderOtherFormats(t *testing.T) {
	const w, h = 4, 3
	hwc := pattern(w*h*3, 1)
	rgb := image.NewNRGBA(image.Rect(0, 0, w, h))
	chw := make([]byte, len(hwc))
	for i := range w * h {
		p := hwc[3*i : 3*i+3]
		rgb.SetNRGBA(i%w, i/w, color.NRGBA{p[0], p[1], p[2], 0xff})
		chw[i], chw[w*h+i], chw[2*w*h+i] = p[0], p[1], p[2]
	}
	root := t.TempDir()
	var b bytes.Buffer
	must(t, bmp.Encode(&b, rgb))
	writeFile(t, filepath.Join(root, "a", "1.bmp"), b.Bytes())
	b.Reset()
	must(t, tiff.Encode(&b, grayImage(w, h, 2), nil))
	writeFile(t, filepath.Join(root, "a", "2.TIFF"), b.Bytes())
	writeFile(t, filepath.Join(root, "b", "3.webp"), []byte(patternWebP))
	b.Reset()
	must(t, gif.Encode(&b, grayImage(w, h, 3), nil))
	writeFile(t, filepath.Join(root, "b", "4.gif"), b.Bytes())

	s, err := Open(root)
	must(t, err)
	f := s.Train.(*Folder)
	if f.Len() != 3 {
		t.Fatalf("%d images %v, want the BMP, TIFF and WebP ones", f.Len(), f.files)
	}
	for i, want := range []Image{
		{Shape: Shape{3, h, w}, U8: chw},
		{Shape: Shape{1, h, w}, U8: grayImage(w, h, 2).Pix},
		{Shape: Shape{3, h, w}, U8: chw},
	} {
		got, err := f.Image(i)
		must(t, err)
		if got.Shape != want.Shape || shapeOf(t, f, i) != want.Shape || !bytes.Equal(got.U8, want.U8) {
			t.Errorf("%s: %v %v, want %v %v", f.File(i), got.Shape, got.U8, want.Shape, want.U8)
		}
	}
}

// tiffAt is a little-endian TIFF of a 4×3 gray image whose first IFD is at
// ifd and whose one strip of 12 bytes is said to be at strip; only the
// header and the IFD are in the file.
func tiffAt(ifd, strip uint32) []byte {
	le := binary.LittleEndian
	b := le.AppendUint32([]byte("II*\x00"), ifd)
	b = le.AppendUint16(b, 8)
	for _, e := range [][3]uint32{ // tag, type (3 SHORT, 4 LONG), value
		{256, 3, 4}, {257, 3, 3}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1}, {273, 4, strip}, {278, 3, 3}, {279, 4, 12},
	} {
		b = le.AppendUint16(le.AppendUint16(b, uint16(e[0])), uint16(e[1]))
		b = le.AppendUint32(le.AppendUint32(b, 1), e[2])
	}
	return le.AppendUint32(b, 0)
}

// TestTIFFOffsetsNotBuffered: a TIFF of a few hundred bytes naming an IFD
// or a strip 2 GB into the file is refused as unreadable, without the TIFF
// decoder buffering the file up to that offset (gigabytes allocated before
// the pixel ceiling, which the declared 4×3 image is well under, could say
// no).
func TestTIFFOffsetsNotBuffered(t *testing.T) {
	const far = 1 << 31
	dir := t.TempDir()
	ok, ifd, strip := filepath.Join(dir, "ok.tif"), filepath.Join(dir, "ifd.tif"), filepath.Join(dir, "strip.tif")
	writeFile(t, ok, append(tiffAt(8, 8+2+8*12+4), pattern(12, 1)...))
	writeFile(t, ifd, tiffAt(far, 8))
	writeFile(t, strip, tiffAt(8, far))
	img, err := LoadImage(ok)
	if err != nil || img.Shape != (Shape{1, 3, 4}) || !bytes.Equal(img.U8, pattern(12, 1)) {
		t.Fatalf("the well-formed TIFF: %v %v %v", img.Shape, img.U8, err)
	}
	for _, path := range []string{ifd, strip} {
		var err error
		alloc := datasettest.Allocated(func() { _, err = LoadImage(path) })
		if !errors.Is(err, ErrImage) || !strings.Contains(err.Error(), path) || alloc > 1<<20 {
			t.Errorf("%s: %v after allocating %d bytes; want ErrImage, under 1 MB", filepath.Base(path), err, alloc)
		}
	}
}
