package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/internal/npy"
)

func TestIDXFolder(t *testing.T) {
	for _, compress := range []bool{false, true} {
		dir := t.TempDir()
		pix, lab := writeIDXSplit(t, dir, "train", 5, 3, 4, compress)
		tpix, _ := writeIDXSplit(t, dir, "t10k", 2, 3, 4, compress)
		s, err := Open(dir)
		must(t, err)
		if s.Train == nil || s.Test == nil || s.Train.Len() != 5 || s.Test.Len() != 2 {
			t.Fatalf("compress=%v: got splits %+v", compress, s)
		}
		img, err := s.Train.Image(3)
		must(t, err)
		if img.Shape != (Shape{1, 3, 4}) || !bytes.Equal(img.U8, pix[36:48]) || s.Train.Label(3) != int(lab[3]) {
			t.Fatalf("image 3: %v %v label %d", img.Shape, img.U8, s.Train.Label(3))
		}
		timg, _ := s.Test.Image(1)
		if !bytes.Equal(timg.U8, tpix[12:24]) || s.Eval() != s.Test || s.Train.Info().Classes != 5 {
			t.Fatalf("test split wrong")
		}
	}
}

// TestIDXClassesFromLabels: an IDX data set of 4 classes (labels 0..3)
// fits a 4-class model: IDX files declare no class count, so it is the
// labels', not a floor of 10 that Check then refuses ("has 10 classes, the
// model 4 outputs"). Fashion-MNIST keeps its 10 named classes.
func TestIDXClassesFromLabels(t *testing.T) {
	for _, c := range []struct {
		dir     string
		classes int
	}{{"digits", 4}, {"fashion-subset", 10}} {
		dir := filepath.Join(t.TempDir(), c.dir)
		lab := []byte{0, 1, 2, 3, 3, 1}
		writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte"), idxBytes([]int{6, 2, 2}, pattern(24, 0)))
		writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"), idxBytes([]int{6}, lab))
		s, err := Open(dir)
		must(t, err)
		if got := s.Train.Info().Classes; got != c.classes {
			t.Errorf("%s: %d classes, want %d", c.dir, got, c.classes)
		}
		err = Check(s.Train, nil, Shape{1, 2, 2}, 4)
		if c.classes == 4 && err != nil {
			t.Errorf("%s against a 4-class model: %v", c.dir, err)
		}
		if c.classes == 10 && !errors.Is(err, ErrClasses) {
			t.Errorf("Fashion-MNIST against a 4-class model: %v, want ErrClasses", err)
		}
	}
}

func TestIDXSingleFile(t *testing.T) {
	dir := t.TempDir()
	writeIDXSplit(t, dir, "t10k", 4, 2, 2, true)
	s, err := Open(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"))
	must(t, err)
	if s.Train != nil || s.Test == nil || s.Test.Len() != 4 {
		t.Fatalf("got %+v", s)
	}
	if _, err := s.Training(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("Training without a train split: %v", err)
	}
}

func TestIDXCorrupt(t *testing.T) {
	pix := pattern(2*3*3, 0)
	lab := []byte{1, 2}
	cases := map[string]struct {
		images, labels []byte
		want           error
	}{
		"bad magic":        {append([]byte{0, 0, 9, 3}, idxBytes([]int{2, 3, 3}, pix)[4:]...), idxBytes([]int{2}, lab), ErrCorrupt},
		"labels as images": {idxBytes([]int{2}, lab), idxBytes([]int{2}, lab), ErrCorrupt},
		"truncated":        {idxBytes([]int{2, 3, 3}, pix[:17]), idxBytes([]int{2}, lab), ErrCorrupt},
		"trailing bytes":   {idxBytes([]int{2, 3, 3}, append(pix, 0)), idxBytes([]int{2}, lab), ErrCorrupt},
		"lying header":     {idxBytes([]int{1 << 30, 1 << 30, 1 << 30}, pix), idxBytes([]int{2}, lab), ErrCorrupt},
		"count mismatch":   {idxBytes([]int{2, 3, 3}, pix), idxBytes([]int{1}, lab[:1]), ErrCount},
		"empty":            {idxBytes([]int{0, 3, 3}, nil), idxBytes([]int{0}, nil), ErrEmpty},
		"short file":       {[]byte{0, 0}, idxBytes([]int{2}, lab), ErrCorrupt},
	}
	for name, c := range cases {
		for _, compress := range []bool{false, true} {
			dir := t.TempDir()
			img, lb := c.images, c.labels
			if compress {
				img, lb = gzBytes(img), gzBytes(lb)
			}
			path := filepath.Join(dir, "train-images-idx3-ubyte")
			writeFile(t, path, img)
			writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"), lb)
			_, err := Open(dir)
			if !errors.Is(err, c.want) || (c.want == ErrCorrupt && !strings.Contains(err.Error(), path)) {
				t.Errorf("%s (gzip %v): got %v, want %v naming the file", name, compress, err, c.want)
			}
		}
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"), []byte{0x1f, 0x8b, 8, 0, 1, 2})
	writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"), idxBytes([]int{2}, lab))
	if _, err := Open(dir); !errors.Is(err, ErrCorrupt) {
		t.Errorf("broken gzip: %v", err)
	}
	good := gzBytes(idxBytes([]int{2, 3, 3}, pix))
	good[len(good)-8] ^= 1 // the CRC-32 of the gzip trailer
	writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"), good)
	if _, err := Open(dir); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("bad gzip checksum: %v", err)
	}
	os.Remove(filepath.Join(dir, "train-labels-idx1-ubyte"))
	if _, err := Open(dir); !errors.Is(err, ErrCount) {
		t.Errorf("missing labels file: %v", err)
	}
}

// TestFashionMNIST opens Debian's dataset-fashion-mnist. The reference
// numbers come from numpy over the same files:
// np.frombuffer(gzip.open(f).read(), np.uint8, offset=16).astype(np.int64).sum() etc.
func TestFashionMNIST(t *testing.T) {
	const dir = "/usr/share/datasets/fashion-mnist"
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs the dataset-fashion-mnist package: %v", err)
		}
		t.Skip("dataset-fashion-mnist not installed")
	}
	s, err := Open(dir)
	must(t, err)
	for _, c := range []struct {
		ds         Dataset
		n          int
		sum        int64
		first      []int
		perClass   int
		firstThree int64
	}{
		{s.Train, 60000, 3431114169, []int{9, 0, 0, 3, 0}, 6000, 189507},
		{s.Test, 10000, 573469082, []int{9, 2, 1, 1, 6}, 1000, 185970},
	} {
		m := c.ds.(*Memory)
		if m.Len() != c.n || m.Size != (Shape{1, 28, 28}) || m.Classes != 10 || m.ClassNames[9] != "Ankle boot" {
			t.Fatalf("%s: %d images of %v, %d classes", m.Name, m.Len(), m.Size, m.Classes)
		}
		var sum, three int64
		for i, v := range m.U8 {
			sum += int64(v)
			if i < 3*784 {
				three += int64(v)
			}
		}
		counts := make([]int, 10)
		for _, l := range m.Labels {
			counts[l]++
		}
		if sum != c.sum || three != c.firstThree || !reflect.DeepEqual(m.Labels[:5], c.first) {
			t.Errorf("%s: pixel sum %d (first three %d), labels %v; numpy: %d (%d), %v", m.Name, sum, three, m.Labels[:5], c.sum, c.firstThree, c.first)
		}
		for k, n := range counts {
			if n != c.perClass {
				t.Errorf("%s: class %d has %d images, want %d", m.Name, k, n, c.perClass)
			}
		}
		if err := Check(m, &Preprocess{Channels: 3, Resize: []int{32}}, Shape{3, 32, 32}, 10); err != nil {
			t.Error(err)
		}
	}
}

func cifarRecords(labels [][]byte) ([]byte, [][]byte) {
	var b []byte
	var imgs [][]byte
	for i, l := range labels {
		img := pattern(3072, i)
		b = append(append(b, l...), img...)
		imgs = append(imgs, img)
	}
	return b, imgs
}

func TestCIFAR10(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cifar-10-batches-bin")
	b1, imgs := cifarRecords([][]byte{{3}, {9}})
	b2, imgs2 := cifarRecords([][]byte{{0}})
	tb, _ := cifarRecords([][]byte{{5}})
	writeFile(t, filepath.Join(dir, "data_batch_1.bin"), b1)
	writeFile(t, filepath.Join(dir, "data_batch_2.bin"), b2)
	writeFile(t, filepath.Join(dir, "test_batch.bin"), tb)
	s, err := Open(filepath.Dir(dir)) // the folder the archive unpacks into
	must(t, err)
	if s.Train.Len() != 3 || s.Test.Len() != 1 || s.Train.Label(1) != 9 || s.Train.Label(2) != 0 || s.Test.Label(0) != 5 {
		t.Fatalf("got %d/%d images, labels %d %d", s.Train.Len(), s.Test.Len(), s.Train.Label(1), s.Train.Label(2))
	}
	img, _ := s.Train.Image(2)
	if img.Shape != (Shape{3, 32, 32}) || !bytes.Equal(img.U8, imgs2[0]) {
		t.Fatal("image 2 differs")
	}
	img, _ = s.Train.Image(1)
	if !bytes.Equal(img.U8, imgs[1]) || s.Train.Info().ClassNames[9] != "truck" {
		t.Fatal("image 1 differs")
	}
	writeFile(t, filepath.Join(dir, "data_batch_2.bin"), b2[:3000])
	if _, err := Open(dir); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "data_batch_2.bin") {
		t.Errorf("truncated batch: %v", err)
	}
	// An empty batch among full ones is no batch of no images.
	writeFile(t, filepath.Join(dir, "data_batch_2.bin"), nil)
	if s, err := Open(dir); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "data_batch_2.bin: 0 bytes") {
		t.Errorf("empty batch: %v (%v)", err, s)
	}
	bad, _ := cifarRecords([][]byte{{1}, {10}})
	writeFile(t, filepath.Join(dir, "data_batch_2.bin"), bad)
	// Named by its batch file and its record there, not by the folder and
	// an index across batches.
	if _, err := Open(dir); !errors.Is(err, ErrLabel) || !strings.Contains(err.Error(), "data_batch_2.bin: record 1 ") {
		t.Errorf("label 10: %v", err)
	}
}

// TestCIFARBatchNames: CIFAR-10's batches are read by the format's names.
// A gap in data_batch_1..5 is an error naming the missing batch, not a
// split silently a batch short; a copy ("data_batch_1 copy.bin") or a
// number the format lacks is not read (no duplicated images) but listed by
// Unread, for the commands to warn of.
func TestCIFARBatchNames(t *testing.T) {
	dir := t.TempDir()
	b, _ := cifarRecords([][]byte{{1}})
	for _, n := range []int{1, 2, 4, 5} {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", n)), b)
	}
	writeFile(t, filepath.Join(dir, "test_batch.bin"), b)
	if _, err := Open(dir); !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "data_batch_3.bin is missing") {
		t.Errorf("data_batch_3.bin missing: %v", err)
	}
	writeFile(t, filepath.Join(dir, "data_batch_3.bin"), b)
	for _, stray := range []string{"data_batch_1 copy.bin", "data_batch_6.bin", "test_batch (1).bin"} {
		writeFile(t, filepath.Join(dir, stray), b)
	}
	s, err := Open(dir)
	must(t, err)
	if s.Train.Len() != 5 || s.Test.Len() != 1 {
		t.Errorf("read %d training and %d test images, want 5 and 1", s.Train.Len(), s.Test.Len())
	}
	var got []string
	for _, u := range Unread(s.Train) {
		got = append(got, filepath.Base(u))
	}
	if want := []string{"data_batch_1 copy.bin", "data_batch_6.bin", "test_batch (1).bin"}; !slices.Equal(got, want) {
		t.Errorf("Unread %q, want %q", got, want)
	}
	// CIFAR-100: train.bin and test.bin only.
	dir = t.TempDir()
	b, _ = cifarRecords([][]byte{{1, 42}})
	writeFile(t, filepath.Join(dir, "train.bin"), b)
	writeFile(t, filepath.Join(dir, "train copy.bin"), b)
	s, err = Open(dir)
	must(t, err)
	if s.Train.Len() != 1 || len(Unread(s.Train)) != 1 || !strings.HasSuffix(Unread(s.Train)[0], "train copy.bin") {
		t.Errorf("CIFAR-100: %d images, unread %q", s.Train.Len(), Unread(s.Train))
	}
}

func TestCIFAR100(t *testing.T) {
	dir := t.TempDir()
	b, imgs := cifarRecords([][]byte{{1, 42}, {19, 99}})
	writeFile(t, filepath.Join(dir, "train.bin"), b)
	names := strings.Repeat("x\n", 99) + "worm\n"
	writeFile(t, filepath.Join(dir, "fine_label_names.txt"), []byte(names))
	s, err := Open(dir)
	must(t, err)
	img, _ := s.Train.Image(1)
	info := s.Train.Info()
	if s.Test != nil || s.Train.Label(0) != 42 || s.Train.Label(1) != 99 || info.Classes != 100 || info.ClassNames[99] != "worm" || !bytes.Equal(img.U8, imgs[1]) {
		t.Fatalf("got labels %d %d, info %+v", s.Train.Label(0), s.Train.Label(1), info.Format)
	}
}

func TestImageFolder(t *testing.T) {
	root := t.TempDir()
	for _, split := range []string{"train", "val"} {
		writePNG(t, filepath.Join(root, split, "b_cat", "1.png"), grayImage(4, 3, 1))
		writePNG(t, filepath.Join(root, split, "b_cat", "0.PNG"), rgbaImage(4, 3, 2))
		writeJPEG(t, filepath.Join(root, split, "a_dog", "x", "2.jpg"), rgbaImage(4, 3, 3))
		writeFile(t, filepath.Join(root, split, "a_dog", "notes.txt"), []byte("ignored"))
	}
	s, err := Open(root)
	must(t, err)
	tr := s.Train.(*Folder)
	if s.Test == nil || tr.Len() != 3 || !reflect.DeepEqual(tr.Info().ClassNames, []string{"a_dog", "b_cat"}) {
		t.Fatalf("got %d images, classes %v", tr.Len(), tr.Info().ClassNames)
	}
	if !strings.HasSuffix(tr.File(1), "0.PNG") || tr.Label(0) != 0 || tr.Label(1) != 1 || shapeOf(t, tr, 2) != (Shape{1, 3, 4}) || shapeOf(t, tr, 1) != (Shape{3, 3, 4}) {
		t.Fatalf("order: %s, labels %d %d, shapes %v %v", tr.File(1), tr.Label(0), tr.Label(1), shapeOf(t, tr, 2), shapeOf(t, tr, 1))
	}
	// PNG is lossless: the gray image comes back with its one channel (and
	// replicated by Channels 3), the NRGBA one with its non-premultiplied
	// colours and alpha dropped.
	g, err := tr.Image(2)
	must(t, err)
	want := grayImage(4, 3, 1).Pix
	if !bytes.Equal(g.U8, want) {
		t.Fatalf("gray image: %v", g.U8)
	}
	rgb := make([]float32, 36)
	must(t, Preprocess{Channels: 3}.Apply(rgb, g))
	for i, v := range rgb {
		if v != float32(want[i%12])/255 {
			t.Fatalf("gray image as 3 channels: %v", rgb)
		}
	}
	c, err := tr.Image(1)
	must(t, err)
	src := rgbaImage(4, 3, 2)
	for y := range 3 {
		for x := range 4 {
			p := src.NRGBAAt(x, y)
			if got := [3]byte{c.U8[y*4+x], c.U8[12+y*4+x], c.U8[24+y*4+x]}; got != [3]byte{p.R, p.G, p.B} {
				t.Fatalf("pixel %d,%d: %v want %v", x, y, got, p)
			}
		}
	}
	if _, err := tr.Image(0); err != nil {
		t.Fatal(err)
	}
}

func TestImageFolderGrayStaysOneChannel(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "0", "a.png"), grayImage(5, 5, 1))
	writePNG(t, filepath.Join(root, "1", "a.png"), grayImage(5, 5, 2))
	s, err := Open(root)
	must(t, err)
	img, err := s.Train.Image(1)
	must(t, err)
	if img.Shape != (Shape{1, 5, 5}) || !bytes.Equal(img.U8, grayImage(5, 5, 2).Pix) {
		t.Fatalf("got %v", img.Shape)
	}
	if img, err := LoadImage(filepath.Join(root, "0", "a.png")); err != nil || img.C != 1 {
		t.Fatalf("LoadImage: %v %v", img.Shape, err)
	}
}

func TestImageFolderBad(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "a", "ok.png"), grayImage(2, 2, 0))
	bad := filepath.Join(root, "b", "broken.png")
	writeFile(t, bad, []byte("\x89PNG not really"))
	// Opening reads no image; the broken one is named when its header is
	// read or when a batch decodes it.
	s, err := Open(root)
	must(t, err)
	if _, err := s.Train.Shape(1); !errors.Is(err, ErrImage) || !strings.Contains(err.Error(), bad) {
		t.Errorf("broken image header: %v", err)
	}
	var batchErr error
	for _, err := range Batches(t.Context(), s.Train, BatchConfig{Size: 1, Workers: 2}) {
		batchErr = err
	}
	if !errors.Is(batchErr, ErrImage) || !strings.Contains(batchErr.Error(), bad) {
		t.Errorf("broken image in a batch: %v", batchErr)
	}
	// A zero-byte file and one that is no image at all say so.
	for content, want := range map[string]string{"": "an empty file (0 bytes)", "hello\n": "not a PNG, JPEG, BMP, TIFF, WebP, PPM or PGM image"} {
		writeFile(t, bad, []byte(content))
		if _, err := LoadImage(bad); !errors.Is(err, ErrImage) || !strings.Contains(err.Error(), bad+": "+want) {
			t.Errorf("%q: %v, want %q", content, err, want)
		}
	}
	must(t, os.Remove(bad))
	if _, err := Open(root); !errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), filepath.Join(root, "b")) {
		t.Errorf("empty class: %v", err)
	}
	if _, err := Open(t.TempDir()); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty folder: %v", err)
	}
	// A file that breaks after the folder was opened: named when decoded.
	must(t, os.Remove(filepath.Join(root, "b")))
	f, err := OpenFolder(root)
	must(t, err)
	writeFile(t, f.File(0), []byte("gone"))
	if _, err := f.Image(0); !errors.Is(err, ErrImage) || !strings.Contains(err.Error(), f.File(0)) {
		t.Errorf("decode failure: %v", err)
	}
}

func writeNPY(t *testing.T, path string, a *npy.Array) {
	must(t, npy.WriteFile(path, a))
}

func TestNPYPairLayouts(t *testing.T) {
	// Two 3-channel 2×3 images; CHW reference values.
	chw := make([]float32, 2*3*2*3)
	for i := range chw {
		chw[i] = float32(i) / 64
	}
	hwc := make([]float32, len(chw))
	for n := range 2 {
		for c := range 3 {
			for p := range 6 {
				hwc[n*18+p*3+c] = chw[n*18+c*6+p]
			}
		}
	}
	labels := &npy.Array{Shape: []int{2}, DType: "int64", Data: []int64{1, 4}}
	for name, x := range map[string]*npy.Array{
		"nchw": {Shape: []int{2, 3, 2, 3}, DType: "float32", Data: chw},
		"nhwc": {Shape: []int{2, 2, 3, 3}, DType: "float32", Data: hwc},
	} {
		dir := t.TempDir()
		writeNPY(t, filepath.Join(dir, "x.npy"), x)
		writeNPY(t, filepath.Join(dir, "y.npy"), labels)
		s, err := Open(dir)
		must(t, err)
		m := s.Train.(*Memory)
		if m.Size != (Shape{3, 2, 3}) || !reflect.DeepEqual(m.F32, chw) || m.Classes != 5 || m.Label(1) != 4 {
			t.Errorf("%s: got %v %v classes %d", name, m.Size, m.F32, m.Classes)
		}
	}
}

func TestNPYPairSplitsAndNHW(t *testing.T) {
	dir := t.TempDir()
	x := &npy.Array{Shape: []int{3, 2, 2}, DType: "uint8", Data: pattern(12, 0)}
	y := &npy.Array{Shape: []int{3}, DType: "int32", Data: []int32{0, 1, 2}}
	for _, s := range []string{"_train", "_test"} {
		writeNPY(t, filepath.Join(dir, "x"+s+".npy"), x)
		writeNPY(t, filepath.Join(dir, "y"+s+".npy"), y)
	}
	s, err := Open(dir)
	must(t, err)
	if s.Train == nil || s.Test == nil || shapeOf(t, s.Test, 0) != (Shape{1, 2, 2}) {
		t.Fatalf("got %+v", s)
	}
	s, err = Open(filepath.Join(dir, "x_test.npy"))
	must(t, err)
	if s.Test == nil || s.Train != nil {
		t.Fatalf("single file: %+v", s)
	}
}

// TestNPYIntegerPixels: pixels of any integer dtype holding 0..255 (int64
// from pandas, int32 from Python lists) are the bytes they hold, in either
// layout, as the same pixels saved as uint8 are.
func TestNPYIntegerPixels(t *testing.T) {
	u8 := pattern(2*2*3*3, 4)
	i64 := make([]int64, len(u8))
	u16 := make([]uint16, len(u8))
	for i, v := range u8 {
		i64[i], u16[i] = int64(v), uint16(v)
	}
	y := &npy.Array{Shape: []int{2}, DType: "int64", Data: []int64{0, 1}}
	for _, shape := range [][]int{{2, 3, 2, 3}, {2, 2, 3, 3}} {
		var want *Memory
		for _, x := range []*npy.Array{
			{Shape: shape, DType: "uint8", Data: u8},
			{Shape: shape, DType: "int64", Data: i64},
			{Shape: shape, DType: "uint16", Data: u16},
		} {
			dir := t.TempDir()
			writeNPY(t, filepath.Join(dir, "x.npy"), x)
			writeNPY(t, filepath.Join(dir, "y.npy"), y)
			s, err := Open(dir)
			if err != nil {
				t.Fatalf("%v %s: %v", shape, x.DType, err)
			}
			m := s.Train.(*Memory)
			if want == nil {
				want = m
			} else if m.Size != want.Size || !bytes.Equal(m.U8, want.U8) || m.F32 != nil {
				t.Errorf("%v %s: %v %v, uint8 gives %v %v", shape, x.DType, m.Size, m.U8, want.Size, want.U8)
			}
		}
	}
}

// TestNPYPairScikitLearnNames: X_train.npy/y_train.npy and X_test.npy/
// y_test.npy, as scikit-learn's convention names them, are the two splits,
// and X_test.npy opens as a file; a y.npy whose x.npy is missing (left
// gzipped) is named, not read as an image folder of no classes.
func TestNPYPairScikitLearnNames(t *testing.T) {
	dir := t.TempDir()
	x := &npy.Array{Shape: []int{3, 2, 2}, DType: "uint8", Data: pattern(12, 0)}
	y := &npy.Array{Shape: []int{3}, DType: "int64", Data: []int64{0, 1, 2}}
	for _, s := range []string{"_train", "_test"} {
		writeNPY(t, filepath.Join(dir, "X"+s+".npy"), x)
		writeNPY(t, filepath.Join(dir, "y"+s+".npy"), y)
	}
	s, err := Open(dir)
	must(t, err)
	if s.Train == nil || s.Test == nil || s.Test.Label(2) != 2 {
		t.Fatalf("X_train/X_test: %+v", s)
	}
	s, err = Open(filepath.Join(dir, "X_test.npy"))
	must(t, err)
	if s.Test == nil || s.Train != nil {
		t.Fatalf("X_test.npy as a file: %+v", s)
	}
	gz := t.TempDir()
	writeNPY(t, filepath.Join(gz, "y.npy"), y)
	writeFile(t, filepath.Join(gz, "x.npy.gz"), gzBytes([]byte("x")))
	if _, err := Open(gz); !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), filepath.Join(gz, "y.npy")+" has no x.npy beside it") {
		t.Errorf("y.npy without x.npy: %v", err)
	}
}

// TestNPYFilesNotReadNamed: a folder whose NumPy data is in files that
// are not read (an .npz, arrays named otherwise) says so, not only that it
// has no class subfolders.
func TestNPYFilesNotReadNamed(t *testing.T) {
	for name, want := range map[string]string{"data.npz": ".npz archives are not read", "images.npy": "NPY data is read from x.npy and y.npy"} {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, name), []byte("PK"))
		if _, err := Open(dir); !errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), "it holds "+name+": "+want) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestNPYPairBad(t *testing.T) {
	x := &npy.Array{Shape: []int{3, 2, 2}, DType: "uint8", Data: pattern(12, 0)}
	y3 := &npy.Array{Shape: []int{3}, DType: "int64", Data: []int64{0, 1, 1}}
	cases := map[string]struct {
		x, y *npy.Array
		want error
	}{
		"count":        {x, &npy.Array{Shape: []int{2}, DType: "int64", Data: []int64{0, 1}}, ErrCount},
		"negative":     {x, &npy.Array{Shape: []int{3}, DType: "int64", Data: []int64{0, -1, 1}}, ErrLabel},
		"float labels": {x, &npy.Array{Shape: []int{3}, DType: "float32", Data: []float32{0, 1, 1}}, ErrLabelType},
		"2-D labels":   {x, &npy.Array{Shape: []int{3, 2}, DType: "int64", Data: []int64{0, 1, 1, 0, 1, 1}}, ErrLabelType},
		"scalar label": {x, &npy.Array{Shape: []int{}, DType: "int64", Data: []int64{1}}, ErrLabelType},
		"huge label":   {x, &npy.Array{Shape: []int{3}, DType: "uint64", Data: []uint64{0, 1 << 63, 1}}, ErrLabel},
		"5-D images":   {&npy.Array{Shape: []int{1, 5, 2, 2, 1}, DType: "uint8", Data: pattern(20, 0)}, &npy.Array{Shape: []int{1}, DType: "int64", Data: []int64{0}}, ErrShape},
		"empty":        {&npy.Array{Shape: []int{0, 2, 2}, DType: "uint8", Data: []uint8{}}, &npy.Array{Shape: []int{0}, DType: "int64", Data: []int64{}}, ErrEmpty},
		"NaN pixel":    {&npy.Array{Shape: []int{3, 2, 2}, DType: "float32", Data: []float32{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, float32(math.NaN()), 0}}, y3, ErrPixel},
		"Inf pixel":    {&npy.Array{Shape: []int{3, 2, 2}, DType: "float64", Data: []float64{0, 0, 0, 0, 0, 1e300, 0, 0, 0, 0, 0, 0}}, y3, ErrPixel},
		"16-bit pixel": {&npy.Array{Shape: []int{3, 2, 2}, DType: "uint16", Data: []uint16{0, 0, 0, 0, 0, 300, 0, 0, 0, 0, 0, 0}}, y3, ErrPixel},
		"int8 pixel":   {&npy.Array{Shape: []int{3, 2, 2}, DType: "int8", Data: []int8{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1}}, y3, ErrPixel},
	}
	for name, c := range cases {
		dir := t.TempDir()
		writeNPY(t, filepath.Join(dir, "x.npy"), c.x)
		writeNPY(t, filepath.Join(dir, "y.npy"), c.y)
		_, err := Open(dir)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
			continue
		}
		if at := map[string]string{"NaN pixel": "image 2 holds NaN", "Inf pixel": "image 1 holds +Inf", "16-bit pixel": "x.npy: image 1 holds 300", "2-D labels": "y.argmax(axis=1)", "int8 pixel": "x.npy: image 2 holds -1"}[name]; at != "" && !strings.Contains(err.Error(), at) {
			t.Errorf("%s: %v does not say %q", name, err, at)
		}
	}
	dir := t.TempDir()
	writeNPY(t, filepath.Join(dir, "x.npy"), x)
	writeFile(t, filepath.Join(dir, "y.npy"), []byte("\x93NUMPY\x01\x00"))
	if _, err := Open(dir); !errors.Is(err, npy.ErrFormat) || !strings.Contains(err.Error(), "y.npy") {
		t.Errorf("corrupt y.npy: %v", err)
	}
}

// TestNPYLabels: labels come as a column [N,1] (Keras, scikit-learn) and
// in any integer dtype; float labels are said to need integers; every
// label problem names y.npy, not x.npy, a label past the model's classes
// too.
func TestNPYLabels(t *testing.T) {
	x := &npy.Array{Shape: []int{3, 2, 2}, DType: "uint8", Data: pattern(12, 0)}
	for name, y := range map[string]*npy.Array{
		"column": {Shape: []int{3, 1}, DType: "int64", Data: []int64{0, 2, 1}},
		"int16":  {Shape: []int{3}, DType: "int16", Data: []int16{0, 2, 1}},
		"uint32": {Shape: []int{3}, DType: "uint32", Data: []uint32{0, 2, 1}},
		"int8":   {Shape: []int{3, 1}, DType: "int8", Data: []int8{0, 2, 1}},
		"uint64": {Shape: []int{3}, DType: "uint64", Data: []uint64{0, 2, 1}},
	} {
		dir := t.TempDir()
		writeNPY(t, filepath.Join(dir, "x.npy"), x)
		writeNPY(t, filepath.Join(dir, "y.npy"), y)
		s, err := Open(dir)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if m := s.Train.(*Memory); !reflect.DeepEqual(m.Labels, []int{0, 2, 1}) || m.Classes != 3 {
			t.Errorf("%s: labels %v, %d classes", name, m.Labels, m.Classes)
		}
	}
	dir := t.TempDir()
	writeNPY(t, filepath.Join(dir, "x.npy"), x)
	writeNPY(t, filepath.Join(dir, "y.npy"), &npy.Array{Shape: []int{3}, DType: "float32", Data: []float32{0, 2, 1}})
	if _, err := Open(dir); !errors.Is(err, ErrLabelType) || !strings.Contains(err.Error(), "y.npy") || !strings.Contains(err.Error(), "must be integers") {
		t.Errorf("float labels: %v, want one saying labels must be integers, naming y.npy", err)
	}
	writeNPY(t, filepath.Join(dir, "y.npy"), &npy.Array{Shape: []int{3}, DType: "int64", Data: []int64{0, 15, 1}})
	s, err := Open(dir)
	must(t, err)
	err = Check(s.Train, nil, Shape{1, 2, 2}, 10)
	if !errors.Is(err, ErrClasses) || !errors.Is(err, ErrLabel) || strings.Contains(err.Error(), "x.npy") ||
		!strings.Contains(err.Error(), filepath.Join(dir, "y.npy")+": image 1 has label 15") {
		t.Errorf("label past the model's classes: %v, want it to name y.npy only", err)
	}
}

func TestOpenUnknown(t *testing.T) {
	p := filepath.Join(t.TempDir(), "data.csv")
	writeFile(t, p, []byte("1,2"))
	if _, err := Open(p); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("csv: %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

// TestImageFolderSplitClasses checks that a val split missing a class keeps
// the training split's label numbers, and that an unknown class is refused.
func TestImageFolderSplitClasses(t *testing.T) {
	root := t.TempDir()
	for _, c := range []string{"ant", "bee", "cow"} {
		writePNG(t, filepath.Join(root, "train", c, "1.png"), grayImage(2, 2, 0))
	}
	writePNG(t, filepath.Join(root, "val", "cow", "1.png"), grayImage(2, 2, 0))
	s, err := Open(root)
	must(t, err)
	if s.Test.Label(0) != 2 || s.Test.Info().Classes != 3 {
		t.Fatalf("val image of class cow has label %d of %d classes", s.Test.Label(0), s.Test.Info().Classes)
	}
	writePNG(t, filepath.Join(root, "val", "dog", "1.png"), grayImage(2, 2, 0))
	if _, err := Open(root); !errors.Is(err, ErrClasses) || !strings.Contains(err.Error(), "dog") {
		t.Fatalf("unknown val class: %v", err)
	}
}

// TestImageFolderNumberedByClasses checks Options.Classes: a folder holding
// some of the model's classes (a --val folder, or verify's data against a
// .bnn's labels) is numbered by name, under --limit too; an unknown class
// is refused; so is a folder whose names are all new (its sorted order
// would be a guess: a folder named 9..0 for classes c0..c9 scored a
// drop gate against the wrong classes for both models, and passed it).
func TestImageFolderNumberedByClasses(t *testing.T) {
	root := t.TempDir()
	for _, c := range []string{"bee", "cow"} {
		writePNG(t, filepath.Join(root, c, "1.png"), grayImage(2, 2, 0))
	}
	classes := []string{"ant", "bee", "cow"}
	for _, limit := range []int{0, 1} {
		s, err := OpenWith(root, Options{Classes: classes, Limit: limit})
		must(t, err)
		if got := s.Train.Label(0); got != 1 || !slices.Equal(s.Train.Info().ClassNames, classes) {
			t.Errorf("limit %d: image of class bee has label %d among %q", limit, got, s.Train.Info().ClassNames)
		}
	}
	s, err := Open(root)
	must(t, err)
	if s.Train.Label(0) != 0 || s.Train.Label(1) != 1 {
		t.Errorf("without classes: labels %d, %d, want the folder's own 0, 1", s.Train.Label(0), s.Train.Label(1))
	}
	if _, err = OpenWith(root, Options{Classes: []string{"0", "1", "2"}}); !errors.Is(err, ErrClasses) || !strings.Contains(err.Error(), `"bee", "cow"`) || !strings.Contains(err.Error(), root) {
		t.Errorf("all-new names: %v, want ErrClasses naming the folder and its classes", err)
	}
	writePNG(t, filepath.Join(root, "dog", "1.png"), grayImage(2, 2, 0))
	if _, err := OpenWith(root, Options{Classes: classes}); !errors.Is(err, ErrClasses) || !strings.Contains(err.Error(), "dog") {
		t.Errorf("unknown class: %v", err)
	}
}

// TestClassNamesComposedOrNot: a class folder named with a combining accent
// (macOS writes "café" so, NFD) is the class of the same name written with
// a precomposed é (NFC), both between a train and a test split and against
// the names a model records; the names keep the training split's bytes.
func TestClassNamesComposedOrNot(t *testing.T) {
	nfc, nfd := "caf\u00e9", "cafe\u0301"
	root := t.TempDir()
	for _, c := range []string{"ant", nfc, "cow"} {
		writePNG(t, filepath.Join(root, "train", c, "1.png"), grayImage(2, 2, 0))
	}
	writePNG(t, filepath.Join(root, "test", nfd, "1.png"), grayImage(2, 2, 0))
	s, err := Open(root)
	if err != nil || s.Test.Label(0) != 1 || s.Test.Info().ClassNames[1] != nfc {
		t.Fatalf("test split's %q against train's %q: %v, want label 1 named as in train", nfd, nfc, err)
	}
	s, err = OpenWith(filepath.Join(root, "test"), Options{Classes: []string{"ant", nfc, "cow"}})
	if err != nil || s.Train.Label(0) != 1 {
		t.Fatalf("folder %q against a model's %q: %v, want label 1", nfd, nfc, err)
	}
}

// TestImageFolderSkipsHidden: hidden names inside a class folder are not
// images of it, as hidden class folders are not classes: a Jupyter
// checkpoint copy is not a second image, a macOS ._ resource fork (not an
// image at all) does not fail the run when its batch comes.
func TestImageFolderSkipsHidden(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "ant", "1.png"), grayImage(2, 2, 0))
	writePNG(t, filepath.Join(root, "bee", "1.png"), grayImage(2, 2, 1))
	writePNG(t, filepath.Join(root, "bee", ".ipynb_checkpoints", "1-checkpoint.png"), grayImage(2, 2, 1))
	writeFile(t, filepath.Join(root, "ant", "._1.png"), []byte("\x00\x05\x16\x07 AppleDouble"))
	writePNG(t, filepath.Join(root, ".hidden", "1.png"), grayImage(2, 2, 0))
	// A zip made on macOS, unpacked: __MACOSX/ holds the resource forks.
	writeFile(t, filepath.Join(root, "__MACOSX", "bee", "._1.png"), []byte("\x00\x05\x16\x07 AppleDouble"))
	writeFile(t, filepath.Join(root, "bee", "__MACOSX", "1.png"), []byte("\x00\x05\x16\x07 AppleDouble"))
	s, err := Open(root)
	must(t, err)
	f := s.Train.(*Folder)
	if f.Len() != 2 || f.Info().Classes != 2 {
		t.Fatalf("%d images of %d classes, want 2 of 2: %v", f.Len(), f.Info().Classes, f.files)
	}
	for _, err := range Batches(t.Context(), f, BatchConfig{Size: 2}) {
		must(t, err)
	}
}

// TestSplitFoldersAlone: a folder of split folders that is not train/ with
// test/ beside it (train/ alone, val/ alone, Kaggle's train/ and valid/) is
// read as those splits, not as an image folder whose classes are "train"
// and "valid", every image labelled by its split; CIFAR-100's class named
// train among others stays a class.
func TestSplitFoldersAlone(t *testing.T) {
	for _, c := range []struct {
		dirs        []string
		train, test string // the folder each split is read from; "" none
	}{
		{[]string{"train"}, "train", ""},
		{[]string{"val"}, "", "val"},
		{[]string{"train", "valid"}, "train", "valid"},
		{[]string{"train", "validation", "notes"}, "train", "validation"},
		{[]string{"test", "train", "val"}, "train", "test"},
	} {
		root := t.TempDir()
		for _, d := range c.dirs {
			for _, class := range []string{"ant", "bee"} {
				writePNG(t, filepath.Join(root, d, class, "1.png"), grayImage(2, 2, 0))
			}
		}
		s, err := Open(root)
		must(t, err)
		for _, sp := range []struct {
			ds   Dataset
			want string
		}{{s.Train, c.train}, {s.Test, c.test}} {
			if (sp.ds == nil) != (sp.want == "") || sp.ds != nil && (sp.ds.Info().Name != filepath.Join(root, sp.want) || sp.ds.Info().Classes != 2) {
				t.Errorf("%v: split %+v, want from %q with classes ant, bee", c.dirs, sp.ds, sp.want)
			}
		}
	}
	root := t.TempDir()
	for _, class := range []string{"train", "tulip"} {
		writePNG(t, filepath.Join(root, class, "1.png"), grayImage(2, 2, 0))
	}
	s, err := Open(root)
	must(t, err)
	if got := s.Train.Info().ClassNames; s.Test != nil || !slices.Equal(got, []string{"train", "tulip"}) {
		t.Errorf("classes train and tulip: %q, test split %v", got, s.Test)
	}
}

// TestNamedFormatNumberedByClasses: data whose format names its classes
// (Fashion-MNIST's IDX, CIFAR) opened with the classes a model's outputs are
// numbered by (a training folder of the same classes, sorted by name) is
// numbered by name, as a folder is, not scored in its own order against
// outputs that mean other classes; a class not among them is refused.
func TestNamedFormatNumberedByClasses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fashion")
	lab := []byte{0, 9, 3}
	writeFile(t, filepath.Join(dir, "t10k-images-idx3-ubyte"), idxBytes([]int{3, 2, 2}, pattern(12, 0)))
	writeFile(t, filepath.Join(dir, "t10k-labels-idx1-ubyte"), idxBytes([]int{3}, lab))
	sorted := slices.Sorted(slices.Values(fashionNames)) // a folder's order
	s, err := OpenWith(dir, Options{Classes: sorted})
	must(t, err)
	for i, l := range lab {
		if got := s.Test.Label(i); sorted[got] != fashionNames[l] {
			t.Errorf("image %d, a %s, has label %d: %s among the model's classes", i, fashionNames[l], got, sorted[got])
		}
	}
	if got := s.Test.Info().ClassNames; !slices.Equal(got, sorted) {
		t.Errorf("class names %q, want the model's %q", got, sorted)
	}
	if _, err := OpenWith(dir, Options{Classes: []string{"Coat", "Dress"}}); !errors.Is(err, ErrClasses) || !strings.Contains(err.Error(), "T-shirt/top") {
		t.Errorf("a class not among the model's: %v", err)
	}
}

// TestIDXTorchvisionLayout: the folder torchvision's FashionMNIST (MNIST,
// KMNIST) downloads to keeps its IDX files in raw/, beside
// processed/ in older versions; that folder is the data set, not an image
// folder whose class raw holds no images.
func TestIDXTorchvisionLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "FashionMNIST")
	writeIDXSplit(t, filepath.Join(dir, "raw"), "train", 3, 2, 2, true)
	writeIDXSplit(t, filepath.Join(dir, "raw"), "t10k", 2, 2, 2, true)
	writeFile(t, filepath.Join(dir, "processed", "training.pt"), []byte("torch"))
	s, err := Open(dir)
	must(t, err)
	if s.Train == nil || s.Test == nil || s.Train.Len() != 3 || s.Test.Len() != 2 || s.Train.Info().ClassNames[0] != "T-shirt/top" {
		t.Fatalf("splits %+v", s)
	}
}

// TestPickledCIFARNamed: CIFAR's Python version, which torchvision
// downloads, is refused as that, from its root or its own folder, with the
// binary version to use, not as an image folder of no PNG files.
func TestPickledCIFARNamed(t *testing.T) {
	root := t.TempDir()
	py := filepath.Join(root, "cifar-10-batches-py")
	for _, f := range []string{"data_batch_1", "data_batch_2", "test_batch", "batches.meta"} {
		writeFile(t, filepath.Join(py, f), []byte("pickle"))
	}
	writeFile(t, filepath.Join(root, "cifar-100-python", "train"), []byte("pickle"))
	writeFile(t, filepath.Join(root, "cifar-100-python", "meta"), []byte("pickle"))
	for _, dir := range []string{root, py, filepath.Join(root, "cifar-100-python")} {
		if _, err := Open(dir); !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), "Python version") || !strings.Contains(err.Error(), "binary") {
			t.Errorf("%s: %v", dir, err)
		}
	}
}

// TestEvalOnlyLeavesTrainUnopened: with EvalOnly, a training split beside
// a test split is not read nor checked (verify evaluates only the test
// split): a corrupt train IDX file, NPY pair or CIFAR batch gap, or a
// train/ class folder of no images, is no error, and the files are named
// in Unopened. A test/ image folder is still numbered by train/'s class
// names. Without a test split, the training split is read as before.
func TestEvalOnlyLeavesTrainUnopened(t *testing.T) {
	opts := Options{EvalOnly: true}
	idx := t.TempDir()
	writeIDXSplit(t, idx, "t10k", 2, 3, 4, true)
	writeFile(t, filepath.Join(idx, "train-images-idx3-ubyte.gz"), []byte("not gzip"))
	writeFile(t, filepath.Join(idx, "train-labels-idx1-ubyte.gz"), []byte("not gzip"))
	npyDir := t.TempDir()
	x := &npy.Array{Shape: []int{2, 3, 4}, DType: "uint8", Data: make([]uint8, 24)}
	y := &npy.Array{Shape: []int{2}, DType: "int64", Data: []int64{0, 1}}
	must(t, npy.WriteFile(filepath.Join(npyDir, "x_test.npy"), x))
	must(t, npy.WriteFile(filepath.Join(npyDir, "y_test.npy"), y))
	writeFile(t, filepath.Join(npyDir, "x_train.npy"), []byte("garbage"))
	writeFile(t, filepath.Join(npyDir, "y_train.npy"), []byte("garbage"))
	cifar := t.TempDir()
	b, _ := cifarRecords([][]byte{{1}})
	writeFile(t, filepath.Join(cifar, "data_batch_2.bin"), b) // data_batch_1.bin missing
	writeFile(t, filepath.Join(cifar, "test_batch.bin"), b)
	for _, c := range []struct {
		dir      string
		unopened []string
	}{
		{idx, []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}},
		{npyDir, []string{"x_train.npy", "y_train.npy"}},
		{cifar, []string{"data_batch_2.bin"}},
	} {
		if _, err := Open(c.dir); err == nil {
			t.Errorf("%s: the broken training split opens without EvalOnly", c.dir)
		}
		s, err := OpenWith(c.dir, opts)
		if err != nil || s.Train != nil || s.Test == nil || s.Test.Len() != 2 && s.Test.Len() != 1 {
			t.Errorf("%s: EvalOnly: %v, splits %+v", c.dir, err, s)
			continue
		}
		var got []string
		for _, u := range s.Unopened {
			got = append(got, filepath.Base(u))
		}
		if !slices.Equal(got, c.unopened) {
			t.Errorf("%s: Unopened %q, want %q", c.dir, got, c.unopened)
		}
	}
	// train/ with a class of no images (an error when it is opened), test/
	// holding only class b: labelled 1, by train/'s names a and b.
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "train", "a"), 0o755))
	writePNG(t, filepath.Join(root, "train", "b", "1.png"), grayImage(4, 4, 1))
	writePNG(t, filepath.Join(root, "test", "b", "1.png"), grayImage(4, 4, 2))
	if _, err := Open(root); !errors.Is(err, ErrEmpty) {
		t.Errorf("train/a of no images without EvalOnly: %v", err)
	}
	s, err := OpenWith(root, opts)
	if err != nil || s.Train != nil || s.Test.Len() != 1 || s.Test.Label(0) != 1 || !slices.Equal(s.Test.Info().ClassNames, []string{"a", "b"}) {
		t.Errorf("image folders, EvalOnly: %v, splits %+v", err, s)
	}
	// No test split: the training split is what is evaluated, and read.
	lone := t.TempDir()
	writeIDXSplit(t, lone, "train", 2, 3, 4, false)
	if s, err := OpenWith(lone, opts); err != nil || s.Train == nil || s.Train.Len() != 2 || len(s.Unopened) != 0 {
		t.Errorf("a lone training split, EvalOnly: %v, splits %+v", err, s)
	}
}
