package dataset

import (
	"bytes"
	"image/jpeg"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/internal/npy"
)

// TestJPEGLikePIL: a JPEG decodes to the RGB bytes PIL (libjpeg-turbo, as
// torchvision's ImageFolder reads it) gives, within the few levels by
// which the two inverse DCTs differ, for 4:2:0, 4:2:2 and 4:4:4 chroma, at
// odd sizes; a lossy WebP to libwebp's bytes exactly. Go's decoders
// replicate subsampled chroma where libjpeg and libwebp filter it: pixels
// at color edges came out dozens of levels off (testdata/gen_jpeg.py
// writes the fixtures).
func TestJPEGLikePIL(t *testing.T) {
	for _, name := range []string{"jpeg420.jpg", "jpeg422.jpg", "jpeg444.jpg", "webp420.webp"} {
		img, err := LoadImage(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := npy.ReadFile(filepath.Join("testdata", strings.TrimSuffix(name, filepath.Ext(name))+".pil.npy"))
		if err != nil {
			t.Fatal(err)
		}
		px := want.Data.([]uint8)
		if img.Shape != (Shape{want.Shape[0], want.Shape[1], want.Shape[2]}) || len(img.U8) != len(px) {
			t.Fatalf("%s: decoded %v, PIL %v", name, img.Shape, want.Shape)
		}
		worst, sum := 0, 0
		for i, v := range img.U8 {
			d := max(int(v)-int(px[i]), int(px[i])-int(v))
			worst, sum = max(worst, d), sum+d
		}
		tol, meanTol := 4, 0.5
		if filepath.Ext(name) == ".webp" {
			tol, meanTol = 0, 0 // one integer decoder, the same arithmetic
		}
		if mean := float64(sum) / float64(len(px)); worst > tol || mean > meanTol {
			t.Errorf("%s: differs from PIL by up to %d levels (mean %.2f); want at most %d (mean %.1f)", name, worst, mean, tol, meanTol)
		}
	}
}

// TestJPEGEXIFOrientationIgnored pins what doc.go says: a JPEG's EXIF
// orientation (here 6, "rotate 90° clockwise to view") is not applied, as
// PIL's Image.open and so torchvision's ImageFolder do not apply it: the
// pixels are read as stored, 6 wide and 4 high.
func TestJPEGEXIFOrientationIgnored(t *testing.T) {
	var b bytes.Buffer
	must(t, jpeg.Encode(&b, grayImage(6, 4, 1), &jpeg.Options{Quality: 100}))
	plain := b.Bytes()
	ifd := "II*\x00\x08\x00\x00\x00" + "\x01\x00" + "\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00" + "\x00\x00\x00\x00"
	app1 := "Exif\x00\x00" + ifd
	seg := append([]byte{0xff, 0xe1, byte((len(app1) + 2) >> 8), byte(len(app1) + 2)}, app1...)
	rotated := append(append(append([]byte{}, plain[:2]...), seg...), plain[2:]...)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "plain.jpg"), plain)
	writeFile(t, filepath.Join(dir, "exif6.jpg"), rotated)
	want, err := LoadImage(filepath.Join(dir, "plain.jpg"))
	must(t, err)
	got, err := LoadImage(filepath.Join(dir, "exif6.jpg"))
	must(t, err)
	if got.Shape != (Shape{1, 4, 6}) || !bytes.Equal(got.U8, want.U8) {
		t.Errorf("EXIF orientation 6: %v, want the stored %v pixels unrotated", got.Shape, want.Shape)
	}
}
