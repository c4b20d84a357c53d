package dataset

import (
	"path/filepath"
	"testing"

	"github.com/bincompress/bincompress/internal/npy"
)

// TestJPEGLikePIL: a JPEG decodes to the RGB bytes PIL (libjpeg-turbo, as
// torchvision's ImageFolder reads it) gives, within the few levels by
// which the two inverse DCTs differ, for 4:2:0, 4:2:2 and 4:4:4 chroma, at
// odd sizes. Go's image/jpeg replicates subsampled chroma where libjpeg
// filters it: pixels at color edges of a 4:2:0 JPEG came out dozens of
// levels off (testdata/gen_jpeg.py writes the fixtures).
func TestJPEGLikePIL(t *testing.T) {
	for _, name := range []string{"jpeg420", "jpeg422", "jpeg444"} {
		img, err := LoadImage(filepath.Join("testdata", name+".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := npy.ReadFile(filepath.Join("testdata", name+".pil.npy"))
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
		if mean := float64(sum) / float64(len(px)); worst > 4 || mean > 0.5 {
			t.Errorf("%s: differs from PIL by up to %d levels (mean %.2f); want at most 4 (mean 0.5)", name, worst, mean)
		}
	}
}
