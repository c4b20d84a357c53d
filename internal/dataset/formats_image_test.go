package dataset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"os"
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

// TestLossyWebPColours: a lossy WebP's YCbCr is BT.601 studio range, not
// JPEG's full range: flat-coloured 16×16 images, as PIL writes them
// (Image.new("RGB", (16, 16), c).save(f, quality=100)), decode to their
// colours within a level, as PIL decodes them, not white to 235 and black
// to 16.
func TestLossyWebPColours(t *testing.T) {
	for _, c := range []struct {
		webp    string
		r, g, b int
	}{
		{"\x52\x49\x46\x46\x26\x00\x00\x00\x57\x45\x42\x50\x56\x50\x38\x20\x1a\x00\x00\x00\x30\x01\x00\x9d\x01\x2a\x10\x00\x10\x00\x00\x00\x00\x25\xa4\x00\x03\x70\x00\xfe\xff\xde\xdc\xf0\x00\x00", 255, 255, 255},
		{"\x52\x49\x46\x46\x26\x00\x00\x00\x57\x45\x42\x50\x56\x50\x38\x20\x1a\x00\x00\x00\x30\x01\x00\x9d\x01\x2a\x10\x00\x10\x00\x00\x00\x00\x25\xa4\x00\x03\x70\x00\xfe\xff\xdf\x6e\xd4\x00\x00", 0, 0, 0},
		{"\x52\x49\x46\x46\x42\x00\x00\x00\x57\x45\x42\x50\x56\x50\x38\x20\x36\x00\x00\x00\x50\x02\x00\x9d\x01\x2a\x10\x00\x10\x00\x00\x00\x00\x25\xa0\x02\x74\xba\x01\xf8\x01\xfa\x01\xfc\x00\x07\x90\x00\xfe\xfe\x22\x72\xff\xf0\x8c\x55\xc5\x29\x7f\xfe\x11\x97\xff\xe8\x42\x59\x57\xc1\x1e\x7f\xf4\x16\x80\x00", 200, 60, 30},
		{"\x52\x49\x46\x46\x40\x00\x00\x00\x57\x45\x42\x50\x56\x50\x38\x20\x34\x00\x00\x00\x10\x02\x00\x9d\x01\x2a\x10\x00\x10\x00\x00\x00\x00\x25\xa0\x02\x74\xba\x01\xf8\x01\xfa\x00\x03\xc8\x00\xfe\xf2\xa9\x7f\xfe\xae\xcd\xc7\xa4\x1f\xff\x57\x6d\xff\xf3\x9e\x4a\xb8\xda\xe7\x7f\xf9\xc9\x60\x00\x00", 20, 160, 170},
	} {
		path := filepath.Join(t.TempDir(), "flat.webp")
		writeFile(t, path, []byte(c.webp))
		img, err := LoadImage(path)
		must(t, err)
		want := []int{c.r, c.g, c.b}
		for i, v := range img.U8 {
			if d := int(v) - want[i/(img.H*img.W)]; img.C != 3 || d < -1 || d > 1 {
				t.Fatalf("RGB %v: channel %d pixel %d is %d", want, i/(img.H*img.W), i%(img.H*img.W), v)
			}
		}
	}
}

// TestImageFormatsDocumented: doc.go and the README list the image
// formats an image folder reads as imageFormats does, so that the list in
// the code, its error message and the docs stay one definition.
func TestImageFormatsDocumented(t *testing.T) {
	for path, want := range map[string]string{
		"doc.go":          formatNames(", ", " or ") + " files",
		"../../README.md": "(one subfolder per class, " + formatNames("/", "/") + ")",
	} {
		b, err := os.ReadFile(path)
		must(t, err)
		text := strings.Join(strings.Fields(strings.ReplaceAll(string(b), "//", "")), " ")
		if !strings.Contains(text, want) {
			t.Errorf("%s does not list the image formats as %q", path, want)
		}
	}
}

// TestPNG16BitAlphaLikePIL: a 16-bit RGBA PNG's colour is each sample's high
// byte, as PIL's convert("RGB") gives it (the values below are PIL's), also
// where alpha is low or 0, which a premultiplied round trip turned dark or
// black.
func TestPNG16BitAlphaLikePIL(t *testing.T) {
	m := image.NewNRGBA64(image.Rect(0, 0, 4, 1))
	for x, c := range []color.NRGBA64{
		{0x1234, 0xabcd, 0xff00, 0x0101},
		{0x8080, 0x7f7f, 0x00ff, 0x00ff},
		{0xffff, 0x8000, 0x4000, 0x0000},
		{0x0202, 0x0303, 0x0404, 0xfffe},
	} {
		m.SetNRGBA64(x, 0, c)
	}
	path := filepath.Join(t.TempDir(), "a.png")
	writePNG(t, path, m) // 16-bit RGBA: not opaque
	got, err := LoadImage(path)
	must(t, err)
	// PIL: [[18, 171, 255], [128, 127, 0], [255, 128, 64], [2, 3, 4]], in CHW.
	want := []byte{18, 128, 255, 2, 171, 127, 128, 3, 255, 0, 64, 4}
	if got.Shape != (Shape{3, 1, 4}) || !bytes.Equal(got.U8, want) {
		t.Errorf("16-bit RGBA PNG: %v %v, PIL gives %v", got.Shape, got.U8, want)
	}
}

// TestAnimatedWebPNamed: an animated WebP (VP8X with the animation flag),
// which the WebP decoder does not read, is refused as one, not as a file
// in an "invalid format".
func TestAnimatedWebPNamed(t *testing.T) {
	le := binary.LittleEndian
	b := []byte("WEBPVP8X")
	b = le.AppendUint32(b, 10)
	b = append(b, 0x02, 0, 0, 0, 3, 0, 0, 2, 0, 0) // animation; 4×3 canvas
	b = append(b, "ANIM"...)
	b = le.AppendUint32(b, 6)
	b = append(b, 0, 0, 0, 0, 0, 0)
	b = append(le.AppendUint32([]byte("RIFF"), uint32(len(b))), b...)
	path := filepath.Join(t.TempDir(), "a.webp")
	writeFile(t, path, b)
	if _, err := LoadImage(path); !errors.Is(err, ErrImage) || !strings.Contains(err.Error(), path+": an animated WebP, which is not read") {
		t.Errorf("animated WebP: %v", err)
	}
}

// transparentGIF is a 4×3 GIF whose rows hold palette indices 0 1 2 3 of
// the colours (200,10,10) (10,200,10) (10,10,200) (90,90,90), index 1
// transparent, as PIL writes it: Image.fromarray(a, "P") with that palette,
// .save(f, format="GIF", transparency=1).
const transparentGIF = "\x47\x49\x46\x38\x39\x61\x04\x00\x03\x00\x81\x00\x00\xc8\x0a\x0a\x0a\xc8\x0a\x0a\x0a\xc8\x5a\x5a\x5a\x21\xf9\x04\x01\x00\x00\x01\x00\x2c\x00\x00\x00\x00\x04\x00\x03\x00\x00\x08\x0c\x00\x01\x04\x10\x30\x40\x20\x41\x83\x03\x02\x02\x00\x3b"

// TestGIFUnderImageNameLikePIL: a GIF saved under a .png name (scraped
// data) reads as PIL's convert("RGB") gives it (the values below are
// PIL's), its transparent colour included, which image/gif made black.
func TestGIFUnderImageNameLikePIL(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "a", "x.png"), []byte(transparentGIF))
	s, err := Open(root)
	must(t, err)
	got, err := s.Train.Image(0)
	must(t, err)
	row := []byte{200, 10, 10, 90, 200, 10, 10, 90, 200, 10, 10, 90, 10, 200, 10, 90, 10, 200, 10, 90, 10, 200, 10, 90, 10, 10, 200, 90, 10, 10, 200, 90, 10, 10, 200, 90}
	if got.Shape != (Shape{3, 3, 4}) || !bytes.Equal(got.U8, row) {
		t.Errorf("GIF as .png: %v %v, PIL gives %v", got.Shape, got.U8, row)
	}
}
