package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/internal/dataset/datasettest"
)

// hwc is img's pixels interleaved, as PIL's arrays hold them.
func hwc(img Image) []int {
	out := make([]int, 0, len(img.U8))
	n := img.H * img.W
	for i := range n {
		for c := range img.C {
			out = append(out, int(img.U8[c*n+i]))
		}
	}
	return out
}

// TestNetpbmMatchesPIL: the netpbm fixtures of
// testdata/scripts/netpbm_fixtures.py (P1 to P6, header comments, maxvals
// 1, 7, 15, 255, 1001 and 65535) decode to the pixels PIL decodes them to:
// exactly up to maxval 255, within a level over it (PIL rounds v·255/maxval;
// we take a 16-bit PNG's rule, the high byte of the sample scaled to 16
// bits). Bitmaps and gray maps keep one channel.
func TestNetpbmMatchesPIL(t *testing.T) {
	b, err := os.ReadFile("testdata/netpbm/expected.json")
	must(t, err)
	var want map[string]struct {
		Mode string
		W, H int
		HWC  []int
	}
	must(t, json.Unmarshal(b, &want))
	if len(want) < 8 {
		t.Fatalf("%d fixtures", len(want))
	}
	for name, w := range want {
		img, err := LoadImage(filepath.Join("testdata/netpbm", name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		c := map[string]int{"L": 1, "RGB": 3}[w.Mode]
		if img.Shape != (Shape{c, w.H, w.W}) {
			t.Errorf("%s: shape %v, PIL's is %s %dx%d", name, img.Shape, w.Mode, w.W, w.H)
			continue
		}
		tol := 0
		if strings.Contains(name, "16") || strings.Contains(name, "1001") {
			tol = 1
		}
		for i, v := range hwc(img) {
			if d := v - w.HWC[i]; d < -tol || d > tol {
				t.Errorf("%s: sample %d is %d, PIL's %d", name, i, v, w.HWC[i])
				break
			}
		}
	}
}

// TestNetpbm16BitAsPNG: samples over 8 bits come out as a 16-bit PNG's
// do, by one rule: maxval 65535 gives the same pixels as a Gray16 PNG of
// the same samples, and another maxval is first scaled to 16 bits.
func TestNetpbm16BitAsPNG(t *testing.T) {
	samples := []uint16{0x0000, 0x00ff, 0x0180, 0x7fff, 0x8000, 0xfeff, 0xffff}
	dir := t.TempDir()
	g := image.NewGray16(image.Rect(0, 0, len(samples), 1))
	pgm := []byte("P5\n7 1\n65535\n")
	for x, v := range samples {
		g.Pix[2*x], g.Pix[2*x+1] = byte(v>>8), byte(v)
		pgm = append(pgm, byte(v>>8), byte(v))
	}
	var pngBytes bytes.Buffer
	must(t, png.Encode(&pngBytes, g))
	writeFile(t, filepath.Join(dir, "a.png"), pngBytes.Bytes())
	writeFile(t, filepath.Join(dir, "a.pgm"), pgm)
	writeFile(t, filepath.Join(dir, "b.pgm"), []byte("P2 4 1 1000 1000 500 0 1"))
	fromPNG, err := LoadImage(filepath.Join(dir, "a.png"))
	must(t, err)
	fromPGM, err := LoadImage(filepath.Join(dir, "a.pgm"))
	must(t, err)
	if fromPGM.Shape != fromPNG.Shape || !bytes.Equal(fromPGM.U8, fromPNG.U8) {
		t.Errorf("16-bit PGM %v %v, the PNG %v %v", fromPGM.Shape, fromPGM.U8, fromPNG.Shape, fromPNG.U8)
	}
	// 1000 → 65535 → 255; 500 → 32768 → 128; 1 → 66 → 0.
	if b, err := LoadImage(filepath.Join(dir, "b.pgm")); err != nil || !bytes.Equal(b.U8, []byte{255, 128, 0, 0}) {
		t.Errorf("maxval 1000: %v %v", b.U8, err)
	}
}

// TestNetpbmHeaderComments: comments may stand between any two header
// tokens and end the last one; the raster starts after the one whitespace
// byte (or the comment) that ends maxval, even when that byte is a space
// and the raster starts with whitespace bytes.
func TestNetpbmHeaderComments(t *testing.T) {
	for in, want := range map[string][]byte{
		"P5\n# a\n# b\n2 #c\n1\n#d\n255\n\x01\x02": {1, 2},
		"P5 2 1 255 \n\x20":                        {'\n', ' '},
		"P5 2 1 255#x\n\t\x02":                     {'\t', 2},
		"P2 # a\n2 1 # b\n15 # c\n15 # d\n0":       {255, 0},
		"P1 3 1 #x\n0#y\n1 0":                      {255, 0, 255},
		"P4 3 2 \xa0\x40":                          {0, 255, 0, 255, 0, 255},
	} {
		path := filepath.Join(t.TempDir(), "x.pgm")
		writeFile(t, path, []byte(in))
		img, err := LoadImage(path)
		if err != nil || img.C != 1 || !bytes.Equal(img.U8, want) {
			t.Errorf("%q: %v %v, want %v", in, img.U8, err, want)
		}
	}
}

// TestNetpbmFolder: an image folder of .ppm and .pgm files (GTSRB's
// kind), any case, reads them as images of their class; .pbm and .pnm,
// which torchvision's ImageFolder skips, stay out, and a class of nothing
// else is empty, the message naming the formats read.
func TestNetpbmFolder(t *testing.T) {
	rgb, err := os.ReadFile("testdata/netpbm/rgb8.ppm")
	must(t, err)
	gray, err := os.ReadFile("testdata/netpbm/gray8.pgm")
	must(t, err)
	bits, err := os.ReadFile("testdata/netpbm/bits.pbm")
	must(t, err)
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "00000", "00000_00000.ppm"), rgb)
	writeFile(t, filepath.Join(root, "00000", "00000_00001.PGM"), gray)
	writeFile(t, filepath.Join(root, "00001", "a.ppm"), bits) // a bitmap named .ppm: read by content
	writeFile(t, filepath.Join(root, "00001", "b.pbm"), bits)
	writeFile(t, filepath.Join(root, "00001", "c.pnm"), rgb)
	s, err := Open(root)
	must(t, err)
	f := s.Train.(*Folder)
	if f.Len() != 3 {
		t.Fatalf("%d images %v, want the two .ppm and the .pgm", f.Len(), f.files)
	}
	for i, want := range []Shape{{3, 3, 4}, {1, 2, 5}, {1, 3, 10}} {
		img, err := f.Image(i)
		must(t, err)
		if img.Shape != want || shapeOf(t, f, i) != want {
			t.Errorf("%s: %v, want %v", f.File(i), img.Shape, want)
		}
	}
	must(t, os.Remove(filepath.Join(root, "00001", "a.ppm")))
	if _, err := Open(root); !errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), "WebP, PPM or PGM files") {
		t.Errorf("a class of .pbm and .pnm files: %v", err)
	}
}

// TestNetpbmHostile: malformed and hostile netpbm files are refused with
// ErrImage or ErrTooLarge naming the file, never a panic; a declared size
// over the pixel ceiling is refused from the header, and a file too short
// for the size it declares before the image is allocated (a 6000×6000 gray
// map of 20 bytes allocates under a megabyte).
func TestNetpbmHostile(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     error
		msg      string
	}{
		{"truncated P6", "P6 4 3 255\n" + strings.Repeat("x", 35), ErrImage, "truncated"},
		{"truncated 16-bit P5", "P5 2 2 65535\n" + strings.Repeat("x", 7), ErrImage, "truncated"},
		{"truncated P4", "P4 9 2\n\x00\x00\x00", ErrImage, "truncated"},
		{"truncated P2", "P2 2 2 255\n1 2 3", ErrImage, "truncated"},
		{"truncated P1", "P1 2 2\n101", ErrImage, "truncated"},
		{"header only", "P6 4 3", ErrImage, "truncated"},
		{"big and short", "P5 6000 6000 255\n" + strings.Repeat("x", 20), ErrImage, "truncated"},
		{"over the ceiling", "P6 16384 16384 255\n\x00\x00", ErrTooLarge, "16384x16384"},
		{"over a side", "P5 16385 1 255\n\x00", ErrTooLarge, "16385x1"},
		{"width past int32", "P5 99999999999 1 255\n\x00", ErrImage, "width over"},
		{"zero width", "P5 0 4 255\n", ErrTooLarge, "0x4"},
		{"maxval 0", "P5 1 1 0\n\x00", ErrImage, "maxval 0"},
		{"maxval 65536", "P5 1 1 65536\n\x00\x00", ErrImage, "maxval over"},
		{"sample not a number", "P3 1 1 255\n1 2 x", ErrImage, "not a number"},
		{"sample over 65535", "P2 1 1 255\n70000", ErrImage, "sample over"},
		{"bit not 0 or 1", "P1 2 1\n0 2", ErrImage, "not 0 or 1"},
		{"letter in width", "P5 4x 4 255\n", ErrImage, "width"},
		{"P7", "P7\nWIDTH 1\n", ErrImage, "unknown format"},
	} {
		path := filepath.Join(t.TempDir(), "img.ppm")
		writeFile(t, path, []byte(c.in))
		var err error
		alloc := datasettest.Allocated(func() { _, err = LoadImage(path) })
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v; want %v naming the file and %q", c.name, err, c.want, c.msg)
		}
		if alloc > 1<<20 {
			t.Errorf("%s: allocated %d bytes", c.name, alloc)
		}
	}
}

// TestGray16HighByte pins what doc.go and the README say of a 16-bit
// grayscale PNG: each sample's high byte, where PIL's convert("L") gives
// [0 1 200 255 255 255 255 255] (clipped at 255).
func TestGray16HighByte(t *testing.T) {
	g := image.NewGray16(image.Rect(0, 0, 8, 1))
	for x, v := range []uint16{0, 1, 200, 255, 256, 1000, 0x8000, 0xffff} {
		g.SetGray16(x, 0, color.Gray16{v})
	}
	path := filepath.Join(t.TempDir(), "a.png")
	writePNG(t, path, g)
	got, err := LoadImage(path)
	must(t, err)
	if want := []byte{0, 0, 0, 0, 1, 3, 128, 255}; got.Shape != (Shape{1, 1, 8}) || !bytes.Equal(got.U8, want) {
		t.Errorf("16-bit gray PNG: %v %v, want %v", got.Shape, got.U8, want)
	}
}
