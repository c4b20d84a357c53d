package dataset

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"path/filepath"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
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
