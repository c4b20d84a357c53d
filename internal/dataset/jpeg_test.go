package dataset

import (
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
