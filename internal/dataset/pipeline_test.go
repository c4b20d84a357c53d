package dataset

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// photo is a smooth colour test image (JPEG-friendly).
func photo(w, h, seed int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetRGBA(x, y, color.RGBA{byte(x*3 + seed), byte(y*5 + 2*seed), byte((x + y) * 2), 255})
		}
	}
	return m
}

// jpegFolder writes n w×h colour JPEGs into two classes.
func jpegFolder(t *testing.T, n, w, h int) *Folder {
	t.Helper()
	root := t.TempDir()
	for i := range n {
		writeJPEG(t, filepath.Join(root, fmt.Sprintf("c%d", i%2), fmt.Sprintf("%03d.jpg", i)), photo(w+i%3, h, i))
	}
	f, err := OpenFolder(root)
	must(t, err)
	return f
}

// TestBatchesFolderDeterministic: decoding JPEGs with a resize, a random
// crop, pad-and-crop and flips gives the same batches at any worker count
// and prefetch depth, NHWC batches hold the NCHW values transposed, and
// evaluation (no augmentation) takes the center crop.
func TestBatchesFolderDeterministic(t *testing.T) {
	f := jpegFolder(t, 23, 40, 30)
	cfg := BatchConfig{Size: 5, Shuffle: true, Seed: 3, Epoch: 1, Aug: Augment{Crop: true, Pad: 2, Flip: true},
		Prep: Preprocess{Resize: []int{24}, CenterCrop: []int{20}, Mean: []float32{0.4, 0.5, 0.6}, Std: []float32{0.2}}}
	var ref []*Batch
	for _, w := range []int{1, 2, 7} {
		for _, pre := range []int{1, 3} {
			cfg.Workers, cfg.Prefetch = w, pre
			got := collect(t, f, cfg)
			if ref == nil {
				ref = got
			} else if !reflect.DeepEqual(got, ref) {
				t.Fatalf("%d workers, prefetch %d: batches differ from 1 worker's", w, pre)
			}
		}
	}
	if len(ref) != 5 || ref[0].Shape != (Shape{3, 20, 20}) || !reflect.DeepEqual(ref[4].Dims(), []int{3, 3, 20, 20}) {
		t.Fatalf("%d batches of %v, last %v", len(ref), ref[0].Shape, ref[4].Dims())
	}
	nhwc := cfg
	nhwc.Prep.Layout = NHWC
	for s, b := range collect(t, f, nhwc) {
		if !reflect.DeepEqual(b.Dims(), []int{b.N(), 20, 20, 3}) || !reflect.DeepEqual(b.X, toNHWC(ref[s].X, b.N(), b.Shape)) {
			t.Fatalf("NHWC batch %d is not the NCHW batch transposed", s)
		}
	}
	eval := cfg
	eval.Aug, eval.Shuffle = Augment{}, false
	for _, b := range collect(t, f, eval) {
		for k, i := range b.Index {
			img, err := f.Image(i)
			must(t, err)
			want := make([]float32, b.Shape.Len())
			must(t, cfg.Prep.Apply(want, img))
			if !reflect.DeepEqual(b.X[k*len(want):(k+1)*len(want)], want) {
				t.Fatalf("evaluation image %d is not its center crop", i)
			}
		}
	}
}

func toNHWC(x []float32, n int, s Shape) []float32 {
	out := make([]float32, len(x))
	for i := range n {
		for c := range s.C {
			for p := range s.H * s.W {
				out[i*s.Len()+p*s.C+c] = x[i*s.Len()+c*s.H*s.W+p]
			}
		}
	}
	return out
}

// TestRandomCrop: a random crop is the crop of the whole resized image at
// the offset drawn (no pad-and-crop on top), and every offset occurs about
// as often.
func TestRandomCrop(t *testing.T) {
	in := Image{Shape: Shape{3, 9, 12}, U8: pattern(3*9*12, 5)}
	p := Preprocess{Resize: []int{7, 10}, CenterCrop: []int{4, 6}, Mean: []float32{0.5}, Std: []float32{0.5}}
	full := make([]float32, 3*7*10)
	must(t, Preprocess{Resize: []int{7, 10}, Mean: []float32{0.5}, Std: []float32{0.5}}.Apply(full, in))
	seen := map[[2]int]int{}
	for i := range 600 {
		got := make([]float32, 3*4*6)
		must(t, p.apply(got, in, Augment{Crop: true, Pad: 2}, NewRand(1, tagAugment, 0, i)))
		top, left := -1, -1
		for y := 0; y <= 3 && top < 0; y++ {
			for x := 0; x <= 4; x++ {
				if reflect.DeepEqual(got, cropOf(full, Shape{3, 7, 10}, y, x, 4, 6)) {
					top, left = y, x
					break
				}
			}
		}
		if top < 0 {
			t.Fatalf("draw %d is no window of the resized image", i)
		}
		seen[[2]int{top, left}]++
	}
	if len(seen) != 4*5 {
		t.Fatalf("saw %d of 20 crop offsets", len(seen))
	}
	for off, n := range seen {
		if n < 10 || n > 60 {
			t.Errorf("offset %v drawn %d times of 600, want about 30", off, n)
		}
	}
}

func cropOf(x []float32, s Shape, top, left, h, w int) []float32 {
	var out []float32
	for c := range s.C {
		for y := top; y < top+h; y++ {
			out = append(out, x[(c*s.H+y)*s.W+left:][:w]...)
		}
	}
	return out
}

// TestToCHWFastPaths: the direct conversions of decoder outputs agree with
// the colour model's, pixel for pixel (YCbCr within one level: the colour
// model rounds from 16 bits). A JPEG's subsampled chroma is filtered as
// libjpeg does (TestJPEGLikePIL), so only its 4:4:4 is held to the model.
func TestToCHWFastPaths(t *testing.T) {
	nrgba := rgbaImage(7, 5, 3)
	rgba := image.NewRGBA(nrgba.Rect)
	for y := range 5 {
		for x := range 7 {
			rgba.Set(x, y, nrgba.At(x, y))
		}
	}
	ycc := image.NewYCbCr(image.Rect(0, 0, 7, 5), image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = byte(i * 13)
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = byte(i*29+40), byte(200-i*17)
	}
	ycc444 := image.NewYCbCr(image.Rect(0, 0, 7, 5), image.YCbCrSubsampleRatio444)
	copy(ycc444.Y, ycc.Y)
	for i := range ycc444.Cb {
		ycc444.Cb[i], ycc444.Cr[i] = byte(i*29+40), byte(200-i*17)
	}
	for name, c := range map[string]struct {
		m      image.Image
		c      int
		tol    int
		format string
	}{"nrgba": {nrgba, 3, 0, "png"}, "rgba": {rgba, 3, 0, "png"}, "ycbcr": {ycc, 3, 1, ""}, "jpeg 4:4:4": {ycc444, 3, 1, "jpeg"},
		"gray": {grayImage(7, 5, 2), 1, 0, "png"}, "gray as rgb": {grayImage(7, 5, 2), 3, 0, "png"}} {
		got := toCHW(c.m, c.c, c.format)
		want := Image{Shape: got.Shape, U8: make([]uint8, len(got.U8))}
		modelToCHW(want, c.m)
		for i := range got.U8 {
			if d := int(got.U8[i]) - int(want.U8[i]); d > c.tol || d < -c.tol {
				t.Fatalf("%s: value %d is %d, the colour model gives %d", name, i, got.U8[i], want.U8[i])
			}
		}
	}
}

// TestHoldoutSplit: the held-out indices are the seeded share, capped,
// disjoint from the rest, and another seed picks others.
func TestHoldoutSplit(t *testing.T) {
	train, held := Holdout(1000, 0.1, 0, 5)
	if len(held) != 100 || len(train) != 900 || !slices.IsSorted(held) || !slices.IsSorted(train) {
		t.Fatalf("split %d/%d", len(train), len(held))
	}
	all := slices.Sorted(slices.Values(append(append([]int{}, train...), held...)))
	for i, v := range all {
		if v != i {
			t.Fatalf("train and held-out do not partition 0..999 (at %d: %d)", i, v)
		}
	}
	if _, h := Holdout(1000, 0.1, 0, 5); !reflect.DeepEqual(h, held) {
		t.Fatal("same seed, another slice")
	}
	if _, h := Holdout(1000, 0.1, 0, 6); reflect.DeepEqual(h, held) {
		t.Fatal("another seed, same slice")
	}
	if _, h := Holdout(100000, 0.1, 5000, 5); len(h) != 5000 {
		t.Fatalf("cap: %d held out", len(h))
	}
}

// TestSamplesPassThrough: samples already in the model's layout, NCHW or
// NHWC, come out of the pipeline unchanged; the wrong value count is named.
func TestSamplesPassThrough(t *testing.T) {
	x := make([]float32, 4*5*6*3)
	for i := range x {
		x[i] = float32(i)/7 - 3
	}
	for _, dims := range [][]int{{3, 5, 6}, {5, 6, 3}} {
		m, p, err := Samples(x, dims, []int{0, 1, 2, 3})
		must(t, err)
		b := collect(t, m, BatchConfig{Size: 4, Prep: p})
		if !reflect.DeepEqual(b[0].X, x) || !reflect.DeepEqual(b[0].Dims()[1:], dims) {
			t.Fatalf("%v: samples changed on the way through (dims %v)", dims, b[0].Dims())
		}
	}
	if _, _, err := Samples(x[1:], []int{3, 5, 6}, []int{0, 1, 2, 3}); !errors.Is(err, ErrCount) {
		t.Fatalf("short samples: %v", err)
	}
	if _, _, err := Samples(x, []int{5, 9}, []int{0, 1, 2, 3}); !errors.Is(err, ErrShape) {
		t.Fatalf("2-D samples: %v", err)
	}
}

// TestErrorsNameTheImage: an image the pipeline cannot use is named by its
// file in an image folder and by its index in the user's data otherwise,
// also through a subset (a holdout) whose own index differs.
func TestErrorsNameTheImage(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "a", "1.png"), grayImage(4, 4, 0))
	writePNG(t, filepath.Join(root, "a", "2.png"), grayImage(5, 4, 0))
	writePNG(t, filepath.Join(root, "b", "3.png"), grayImage(4, 4, 0))
	f, err := OpenFolder(root)
	must(t, err)
	sub, err := Subset(f, []int{0, 2, 1}) // the odd image is the subset's third
	must(t, err)
	var got error
	for _, err := range Batches(context.Background(), sub, BatchConfig{Size: 3}) {
		if err != nil {
			got = err
			break
		}
	}
	if !errors.Is(got, ErrShape) || !strings.Contains(fmt.Sprint(got), filepath.Join(root, "a", "2.png")) {
		t.Errorf("mixed sizes: %v, want ErrShape naming a/2.png", got)
	}
	m := &Memory{Name: "x.npy", Size: Shape{1, 1, 1}, U8: []uint8{0, 0, 0}, Labels: []int{0, 1, 7}, Classes: 8}
	sub, err = Subset(m, []int{1, 2})
	must(t, err)
	if err := Check(sub, nil, Shape{1, 1, 1}, 4); !errors.Is(err, ErrLabel) || !strings.Contains(err.Error(), "x.npy: image 2 has label 7") {
		t.Errorf("label beyond the model's classes: %v, want image 2 of x.npy named", err)
	}
}

// TestCMYKLikePIL: a CMYK JPEG's pixels convert to RGB as PIL's
// convert("RGB") gives them (the values below are PIL 9.4's), not a level
// darker where color.CMYK's conversion truncates.
func TestCMYKLikePIL(t *testing.T) {
	m := image.NewCMYK(image.Rect(0, 0, 3, 2))
	copy(m.Pix, []byte{0, 0, 0, 0, 255, 255, 255, 255, 10, 200, 128, 1,
		128, 128, 128, 128, 1, 2, 3, 254, 200, 100, 50, 77})
	got := toCHW(m, 3, "jpeg")
	// PIL: [255 255 255] [0 0 0] [244 55 127] [63 63 63] [1 1 1] [38 108 143]
	want := []byte{255, 0, 244, 63, 1, 38, 255, 0, 55, 63, 1, 108, 255, 0, 127, 63, 1, 143}
	if !slices.Equal(got.U8, want) {
		t.Errorf("CMYK to RGB: %v, PIL gives %v", got.U8, want)
	}
}
