package dataset

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/bincompress/bincompress/internal/npy"
)

// TestPreprocessTorchvision compares with torchvision's Resize (bilinear,
// antialias=False), CenterCrop and Normalize on the same uint8 image
// (testdata/gen_preprocess.py). A crop larger than the image pads it with
// zeros as torchvision does; it was refused.
func TestPreprocessTorchvision(t *testing.T) {
	in, err := npy.ReadFile("testdata/prep_in.npy")
	must(t, err)
	img := Image{Shape: Shape{in.Shape[0], in.Shape[1], in.Shape[2]}, U8: in.Data.([]uint8)}
	for file, p := range map[string]Preprocess{
		"testdata/prep_down.npy": {Resize: []int{5}, CenterCrop: []int{4},
			Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}},
		"testdata/prep_up.npy":    {Resize: []int{9, 13}, Mean: []float32{0.5}, Std: []float32{0.25}},
		"testdata/prep_pad.npy":   {CenterCrop: []int{10, 13}, Mean: []float32{0.5}, Std: []float32{0.25}},
		"testdata/prep_pad_w.npy": {CenterCrop: []int{4, 13}, Mean: []float32{0.5}, Std: []float32{0.25}},
		"testdata/prep_pad_resize.npy": {Resize: []int{5}, CenterCrop: []int{8, 6},
			Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}},
	} {
		want, err := npy.ReadFile(file)
		must(t, err)
		out, err := p.OutShape(img.Shape)
		must(t, err)
		if !reflect.DeepEqual([]int{out.C, out.H, out.W}, want.Shape) {
			t.Fatalf("%s: shape %v, torchvision %v", file, out, want.Shape)
		}
		got := make([]float32, out.Len())
		must(t, p.Apply(got, img))
		for i, w := range want.Data.([]float32) {
			if math.Abs(float64(got[i]-w)) > 1e-5 {
				t.Fatalf("%s: value %d = %v, torchvision %v", file, i, got[i], w)
			}
		}
	}
}

// TestPreprocessAntialias compares an antialiased shrink with
// torchvision's Resize(antialias=True) of the float tensor (to float
// rounding) and with PIL's resize of the uint8 image, which torchvision's
// Resize of a PIL image calls (to within a level: PIL rounds to 8 bits
// between its two passes); testdata/gen_preprocess.py writes both. A side
// that grows is bilinear as without antialias.
func TestPreprocessAntialias(t *testing.T) {
	in, err := npy.ReadFile("testdata/prep_aa_in.npy")
	must(t, err)
	img := Image{Shape: Shape{in.Shape[0], in.Shape[1], in.Shape[2]}, U8: in.Data.([]uint8)}
	for file, size := range map[string][]int{"prep_aa_short": {14}, "prep_aa_hw": {10, 19}, "prep_aa_mixed": {10, 60}} {
		p := Preprocess{Resize: size, Antialias: true}
		out, err := p.OutShape(img.Shape)
		must(t, err)
		got := make([]float32, out.Len())
		must(t, p.Apply(got, img))
		want, err := npy.ReadFile("testdata/" + file + ".npy")
		must(t, err)
		pil, err := npy.ReadFile("testdata/" + file + ".pil.npy")
		must(t, err)
		if !reflect.DeepEqual([]int{out.C, out.H, out.W}, want.Shape) || !reflect.DeepEqual(want.Shape, pil.Shape) {
			t.Fatalf("%s: shape %v, torchvision %v, PIL %v", file, out, want.Shape, pil.Shape)
		}
		for i, w := range want.Data.([]float32) {
			if math.Abs(float64(got[i]-w)) > 1e-5 {
				t.Fatalf("%s: value %d = %v, torchvision %v", file, i, got[i], w)
			}
			if d := math.Abs(float64(got[i])*255 - float64(pil.Data.([]uint8)[i])); d > 1 {
				t.Fatalf("%s: value %d = %v levels, PIL %d", file, i, got[i]*255, pil.Data.([]uint8)[i])
			}
		}
	}
	// Without antialias the same shrink aliases: it must differ, or the
	// comparison above proves nothing.
	p := Preprocess{Resize: []int{14}}
	got := make([]float32, 3*14*18)
	must(t, p.Apply(got, img))
	want, _ := npy.ReadFile("testdata/prep_aa_short.npy")
	if maxDiff(got, want.Data.([]float32)) < 0.05 {
		t.Errorf("plain bilinear matches the antialiased reference: the test cannot tell them apart")
	}
	if err := (Preprocess{Antialias: true}).Validate(); err == nil {
		t.Errorf("antialias without a resize validates")
	}
}

func maxDiff(a, b []float32) float64 {
	var m float64
	for i := range a {
		m = max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

func TestPreprocessChannels(t *testing.T) {
	gray := Image{Shape: Shape{1, 1, 2}, U8: []uint8{0, 255}}
	p := Preprocess{Channels: 3, Mean: []float32{0, 0.5, 1}}
	got := make([]float32, 6)
	must(t, p.Apply(got, gray))
	if want := []float32{0, 1, -0.5, 0.5, -1, 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("gray to 3 channels: %v, want %v", got, want)
	}
	rgb := Image{Shape: Shape{3, 1, 1}, F32: []float32{0.1, 0.2, 0.3}}
	got = make([]float32, 3)
	must(t, Preprocess{ChannelOrder: "BGR", Std: []float32{0.5}}.Apply(got, rgb))
	if want := []float32{0.6, 0.4, 0.2}; !reflect.DeepEqual(got, want) {
		t.Fatalf("BGR: %v, want %v", got, want)
	}
	// A one-channel model takes colour images as torchvision's Grayscale
	// gives them; they were refused. The bytes are PIL's convert("L") of
	// these pixels.
	px := []uint8{255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 200, 30, 128, 128, 128, 1, 2, 3, 255, 255, 255, 77, 13, 240}
	colour := Image{Shape: Shape{3, 1, 8}, U8: make([]uint8, 24)}
	for i := range 8 {
		colour.U8[i], colour.U8[8+i], colour.U8[16+i] = px[3*i], px[3*i+1], px[3*i+2]
	}
	got = make([]float32, 8)
	must(t, Preprocess{Channels: 1}.Apply(got, colour))
	for i, l := range []uint8{76, 150, 29, 124, 128, 2, 255, 58} {
		if got[i] != u8f[l] {
			t.Fatalf("3 channels to 1: pixel %d is %v, PIL's convert(\"L\") gives %d/255", i, got[i], l)
		}
	}
	got = got[:1]
	must(t, Preprocess{Channels: 1}.Apply(got, rgb))
	if want := float32(0.2989*0.1 + 0.587*0.2 + 0.114*0.3); math.Abs(float64(got[0]-want)) > 1e-7 {
		t.Fatalf("float 3 channels to 1: %v, want %v", got[0], want)
	}
	if err := (Preprocess{}).Apply(make([]float32, 2), rgb); !errors.Is(err, ErrShape) {
		t.Fatalf("short destination: %v", err)
	}
}

func TestOutShape(t *testing.T) {
	ok := map[string]struct {
		p       Preprocess
		in, out Shape
	}{
		"shorter side h": {Preprocess{Resize: []int{256}}, Shape{3, 375, 500}, Shape{3, 256, 341}},
		"shorter side w": {Preprocess{Resize: []int{32}}, Shape{1, 50, 28}, Shape{1, 57, 32}},
		"resize+crop":    {Preprocess{Resize: []int{256}, CenterCrop: []int{224}}, Shape{3, 500, 375}, Shape{3, 224, 224}},
		"crop hw":        {Preprocess{CenterCrop: []int{20, 10}, Channels: 3}, Shape{1, 28, 28}, Shape{3, 20, 10}},
		"crop pads":      {Preprocess{CenterCrop: []int{30}}, Shape{1, 28, 28}, Shape{1, 30, 30}},
		"RGB-D":          {Preprocess{Channels: 4, Mean: []float32{0, 0, 0, 0}}, Shape{4, 8, 8}, Shape{4, 8, 8}},
		"1 from 3":       {Preprocess{Channels: 1, Resize: []int{4}}, Shape{3, 8, 8}, Shape{1, 4, 4}},
	}
	for name, c := range ok {
		got, err := c.p.OutShape(c.in)
		if err != nil || got != c.out {
			t.Errorf("%s: %v %v, want %v", name, got, err, c.out)
		}
	}
	bad := map[string]struct {
		p  Preprocess
		in Shape
	}{
		"1 from 4":       {Preprocess{Channels: 1}, Shape{4, 8, 8}},
		"mean count":     {Preprocess{Mean: []float32{1, 2}}, Shape{3, 8, 8}},
		"BGR gray":       {Preprocess{ChannelOrder: "BGR"}, Shape{1, 8, 8}},
		"4 from 3":       {Preprocess{Channels: 4}, Shape{3, 8, 8}},
		"3 from 4":       {Preprocess{Channels: 3}, Shape{4, 8, 8}},
		"zero-size":      {Preprocess{}, Shape{1, 0, 8}},
		"std after gray": {Preprocess{Std: []float32{1, 1, 1}}, Shape{1, 8, 8}},
		"resize beyond":  {Preprocess{Resize: []int{16384}}, Shape{1, 2, 8}},
	}
	for name, c := range bad {
		if _, err := c.p.OutShape(c.in); !errors.Is(err, ErrShape) {
			t.Errorf("%s: got %v, want ErrShape", name, err)
		}
	}
}

func TestPreprocessMarshal(t *testing.T) {
	p := Preprocess{Resize: []int{36}, CenterCrop: []int{32, 30}, Channels: 3, ChannelOrder: "BGR",
		Mean: []float32{0.4914, 0.4822, 0.4465}, Std: []float32{0.247, 0.2435, 0.2616}}
	s := p.Marshal()
	const want = `{"version":1,"resize":[36],"center_crop":[32,30],"channels":3,"channel_order":"BGR",` +
		`"mean":[0.4914,0.4822,0.4465],"std":[0.247,0.2435,0.2616]}`
	if s != want {
		t.Fatalf("Marshal:\n %s\nwant\n %s", s, want)
	}
	q, err := ParsePreprocess(s)
	must(t, err)
	if !reflect.DeepEqual(p, q) || q.Marshal() != s {
		t.Fatalf("round trip: %+v", q)
	}
	if s := (Preprocess{}).Marshal(); s != `{"version":1}` {
		t.Fatalf("zero value: %s", s)
	}
	for _, bad := range []string{
		`{"version":2}`, `{}`, `{"version":1,"size":3}`, `{"version":1,"std":[0]}`,
		`{"version":1,"resize":[0]}`, `{"version":1,"resize":[1,2,3]}`, `{"version":1} {}`,
		`{"version":1,"channels":-1}`, `{"version":1,"channels":5000}`, `{"version":1,"channel_order":"GRB"}`, `not json`,
	} {
		if _, err := ParsePreprocess(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestFixedSize: a center crop or a two-size resize fixes the size images
// come out at; a one-size resize (aspect kept) or nothing does not.
func TestFixedSize(t *testing.T) {
	for _, c := range []struct {
		p        Preprocess
		h, w     int
		ok       bool
		describe string
	}{
		{Preprocess{CenterCrop: []int{20}}, 20, 20, true, "crop 20"},
		{Preprocess{Resize: []int{22}, CenterCrop: []int{20, 18}}, 20, 18, true, "resize 22, crop 20x18"},
		{Preprocess{Resize: []int{30, 40}}, 30, 40, true, "resize 30x40"},
		{Preprocess{Resize: []int{30}}, 0, 0, false, "resize 30"},
		{Preprocess{}, 0, 0, false, "none"},
	} {
		if h, w, ok := c.p.FixedSize(); h != c.h || w != c.w || ok != c.ok {
			t.Errorf("%s: %d, %d, %v; want %d, %d, %v", c.describe, h, w, ok, c.h, c.w, c.ok)
		}
	}
}

// TestPreprocessSteps: the words the C export's header gives a caller name
// every step in Apply's order, with the values.
func TestPreprocessSteps(t *testing.T) {
	p := Preprocess{Resize: []int{36}, CenterCrop: []int{32, 30}, Channels: 3, ChannelOrder: "BGR",
		Mean: []float32{0.4914, 0.4822, 0.4465}, Std: []float32{0.247, 0.2435, 0.2616}}
	want := []string{
		"pixels to float32 in [0, 1]: 8-bit values divided by 255",
		"resize the shorter side to 36, keeping the aspect ratio (bilinear, half-pixel centers, no antialiasing)",
		"center crop 32x30 (height x width)",
		"a one-channel image repeated into 3 channels",
		"channels in BGR order",
		"(x - mean[c]) / std[c] per channel c, mean [0.4914 0.4822 0.4465], std [0.247 0.2435 0.2616]",
	}
	if got := p.Steps(); !reflect.DeepEqual(got, want) {
		t.Errorf("Steps:\n %q\nwant\n %q", got, want)
	}
	want = []string{want[0], "(x - mean[c]) / std[c] per channel c, mean 0.286, std 1"}
	if got := (Preprocess{Channels: 1, Mean: []float32{0.286}}).Steps(); !reflect.DeepEqual(got, want) {
		t.Errorf("mean only: %q, want %q", got, want)
	}
	if got := (Preprocess{}).Steps(); len(got) != 2 || got[1] != "no mean/std normalization" {
		t.Errorf("no normalization: %q", got)
	}
}

// TestRandomCropLargerThanImage: training's random window of a crop larger
// than the image keeps the whole image inside it (pad_if_needed), at every
// draw.
func TestRandomCropLargerThanImage(t *testing.T) {
	img := Image{Shape: Shape{1, 3, 5}, U8: make([]uint8, 15)}
	for i := range img.U8 {
		img.U8[i] = 255
	}
	p := Preprocess{CenterCrop: []int{6, 4}}
	for item := range 50 {
		got := make([]float32, 24)
		must(t, p.apply(got, img, Augment{Crop: true}, NewRand(1, tagAugment, 0, item)))
		white := 0
		for _, v := range got {
			if v == 1 {
				white++
			}
		}
		if white != 3*4 {
			t.Fatalf("draw %d: %d image pixels in the window, want 12: %v", item, white, got)
		}
	}
}
