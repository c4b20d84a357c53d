package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/dataset"
	"github.com/bincompress/bincompress/internal/dataset/datasettest"
	"github.com/bincompress/bincompress/internal/npy"
	"github.com/bincompress/bincompress/internal/reftest"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
	"github.com/bincompress/bincompress/verify"
)

func writeTestFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyLimitStopsEarly (issue 18): `verify --limit 100` on a 2.3 MB
// gzipped IDX test split of 3 million images (2.35 GB inflated) reads the
// 100 images it evaluates, not the rest.
func TestVerifyLimitStopsEarly(t *testing.T) {
	const n = 3_000_000
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), datasettest.ZeroGzip(datasettest.IDX([]int{n, 28, 28}, nil), n*28*28))
	writeTestFile(t, filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"), datasettest.ZeroGzip(datasettest.IDX([]int{n}, nil), n))
	var code int
	var out, errOut string
	alloc := datasettest.Allocated(func() {
		code, out, errOut = run(t, "verify", testModel("fmnist_tiny.onnx"), "--data", dir, "--limit", "100",
			"--mean", "0.2860", "--std", "0.3530", "--json")
	})
	var rep struct{ Images int }
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Images != 100 {
		t.Fatalf("exit %d, report %q, stderr %q; want 100 images verified", code, out, errOut)
	}
	if alloc > 64<<20 {
		t.Errorf("verify --limit 100 allocated %d MB", alloc>>20)
	}
}

// TestVerifyRefusesHugeImages (issue 18): ten valid 16384×16384 PNGs of
// 259 KB each are refused from their headers (exit 1, naming the file and
// the ceiling) without decoding gigabytes; --max-image-pixels raises the
// ceiling.
func TestVerifyRefusesHugeImages(t *testing.T) {
	root := t.TempDir()
	big := datasettest.ZeroPNG(16384, 16384)
	for i := range 10 {
		writeTestFile(t, filepath.Join(root, fmt.Sprintf("c%d", i%2), fmt.Sprintf("%d.png", i)), big)
	}
	args := []string{"verify", testModel("fmnist_tiny.onnx"), "--data", root, "--resize", "28,28", "--mean", "0.2860", "--std", "0.3530"}
	var code int
	var errOut string
	alloc := datasettest.Allocated(func() { code, _, errOut = run(t, args...) })
	if code != ExitFailure || !strings.Contains(errOut, "16384x16384") || !strings.Contains(errOut, "ceiling") {
		t.Errorf("exit %d, stderr %q; want 1 and the image and ceiling named", code, errOut)
	}
	if alloc > 64<<20 {
		t.Errorf("refusing the images allocated %d MB", alloc>>20)
	}
	if code, _, errOut := run(t, append(args, "--max-image-pixels", "0")...); code != ExitUsage {
		t.Errorf("--max-image-pixels 0: exit %d (%q), want 2", code, errOut)
	}
	small := t.TempDir()
	for i := range 4 {
		writeTestFile(t, filepath.Join(small, fmt.Sprintf("c%d", i%2), fmt.Sprintf("%d.png", i)), datasettest.ZeroPNG(40, 30))
	}
	args[3] = small
	if code, _, errOut := run(t, append(args, "--max-image-pixels", "1199")...); code != ExitFailure || !strings.Contains(errOut, "ceiling of 1199") {
		t.Errorf("40x30 images over a ceiling of 1199: exit %d (%q)", code, errOut)
	}
	if code, _, errOut := run(t, append(args, "--max-image-pixels", "1200")...); code != 0 {
		t.Errorf("40x30 images within a ceiling of 1200: exit %d (%q)", code, errOut)
	}
}

// colorFolder writes n w×h colour JPEGs (sizes vary a little) into
// classes class folders.
func colorFolder(t *testing.T, n, classes, w, h int) string {
	root := t.TempDir()
	for i := range n {
		m := image.NewRGBA(image.Rect(0, 0, w+i%4, h+i%3))
		for y := range m.Rect.Dy() {
			for x := range m.Rect.Dx() {
				m.SetRGBA(x, y, color.RGBA{byte(x*7 + i*13), byte(y*9 + i*5), byte((x*y + i) % 251), 255})
			}
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(root, fmt.Sprintf("class%d", i%classes), fmt.Sprintf("%03d.jpg", i)), b.Bytes())
	}
	return root
}

// logitsOf runs a model over the evaluation split of dir as the CLI feeds
// it (preprocessing from the flags, layout from the model's input).
func logitsOf(t *testing.T, model, dir string, flags PrepFlags) []float32 {
	t.Helper()
	m, _, err := loadModel(model)
	if err != nil {
		t.Fatal(err)
	}
	mio, _, err := checkModel(model, m, infer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	prep, err := flags.preprocess(mio)
	if err != nil {
		t.Fatal(err)
	}
	splits, err := openData(dir, prep, mio, flags, nil, false, newLogger(IO{Out: io.Discard, ErrOut: io.Discard}, true, false), nil)
	if err != nil {
		t.Fatal(err)
	}
	f, _, err := classifier(m, mio, infer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var all []float32
	err = evalBatches(splits.Eval(), prep, 7, nil)(context.Background(), func(b verify.Batch) error {
		y, err := f(b.X, b.Shape)
		all = append(all, y...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// TestNHWCInput (issue 14): a model whose input is [N,H,W,C] is fed NHWC:
// with resize, crop and per-channel mean/std it gives the logits its NCHW
// twin (same weights, testdata/scripts/export_layouts.py) gives; the main
// command packs it without data and records the layout, verify reads it
// back from the .bnn, and fine-tuning it matches fine-tuning the twin.
func TestNHWCInput(t *testing.T) {
	data := colorFolder(t, 20, 4, 26, 23)
	flags := PrepFlags{Resize: "22", CenterCrop: "20", Mean: "0.485,0.456,0.406", Std: "0.229,0.224,0.225", MaxPixels: dataset.DefaultMaxPixels}
	nchw := logitsOf(t, testModel("layout_nchw.onnx"), data, flags)
	nhwc := logitsOf(t, testModel("layout_nhwc.onnx"), data, flags)
	if len(nchw) != 20*4 || len(nhwc) != len(nchw) {
		t.Fatalf("%d and %d logits, want 80", len(nchw), len(nhwc))
	}
	for i := range nchw {
		if d := math.Abs(float64(nchw[i] - nhwc[i])); d > 1e-5*(1+math.Abs(float64(nchw[i]))) {
			t.Fatalf("logit %d: NHWC model %v, NCHW model %v", i, nhwc[i], nchw[i])
		}
	}
	dir := t.TempDir()
	bnn := filepath.Join(dir, "nhwc.bnn")
	if code, _, errOut := run(t, testModel("layout_nhwc.onnx"), bnn); code != 0 {
		t.Fatalf("packing an NHWC model without data: exit %d: %s", code, errOut)
	}
	prepArgs := []string{"--resize", flags.Resize, "--center-crop", flags.CenterCrop, "--mean", flags.Mean, "--std", flags.Std}
	accuracy := map[string]float64{}
	for _, layout := range []string{"nchw", "nhwc"} {
		out := filepath.Join(dir, layout+".bnn")
		if code, _, errOut := run(t, append([]string{testModel("layout_" + layout + ".onnx"), out, "--val", data}, prepArgs...)...); code != 0 {
			t.Fatalf("%s: exit %d: %s", layout, code, errOut)
		}
		m, _, err := loadModel(out)
		if err != nil {
			t.Fatal(err)
		}
		meta, _ := m.MetadataValue(pack.KeyPreprocess)
		if strings.Contains(meta, `"layout":"NHWC"`) != (layout == "nhwc") {
			t.Errorf("%s: preprocessing metadata %s", layout, meta)
		}
		code, stdout, errOut := run(t, "verify", out, "--data", data, "--json")
		var rep verify.Report
		if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil || rep.Images != 20 {
			t.Fatalf("%s: verify from metadata: exit %d: %s %s", layout, code, stdout, errOut)
		}
		accuracy[layout] = rep.Accuracy
	}
	if accuracy["nchw"] != accuracy["nhwc"] {
		t.Errorf("binarized NHWC model %v, NCHW twin %v", accuracy["nhwc"], accuracy["nchw"])
	}
	// Fine-tuning (random crops, flips) sees the same pixels in either
	// layout: the same losses, to the bit, and the same accuracy.
	var sums []CompressSummary
	for _, layout := range []string{"nchw", "nhwc"} {
		sums = append(sums, tunedOneEpoch(t, append([]string{testModel("layout_" + layout + ".onnx"), filepath.Join(dir, layout+"-ft.bnn"),
			"--data", data, "--val", data, "--epochs", "1", "--batch-size", "8", "--seed", "2", "--json"}, prepArgs...)...))
	}
	if a, b := sums[0], sums[1]; a.Epochs[0].Loss != b.Epochs[0].Loss || a.Verify.Accuracy != b.Verify.Accuracy {
		t.Errorf("fine-tuned NCHW: loss %v, accuracy %v; NHWC: loss %v, accuracy %v",
			a.Epochs[0].Loss, a.Verify.Accuracy, b.Epochs[0].Loss, b.Verify.Accuracy)
	}
}

// TestResizeAntialias: --resize antialiases a shrink by default, as
// torchvision's Resize does, and the .bnn records it; --antialias=false
// records plain bilinear; verify reads the record, and refuses a --resize
// whose antialiasing differs from it.
func TestResizeAntialias(t *testing.T) {
	data := colorFolder(t, 8, 2, 40, 44)
	dir := t.TempDir()
	for _, c := range []struct {
		flag string
		want bool
	}{{"--antialias=true", true}, {"--antialias=false", false}} {
		out := filepath.Join(dir, strings.TrimPrefix(c.flag, "--")+".bnn")
		if code, _, errOut := run(t, testModel("fmnist_tiny.onnx"), out, "--val", data, "--resize", "28", "--center-crop", "28", c.flag); code != 0 {
			t.Fatalf("%s: exit %d: %s", c.flag, code, errOut)
		}
		m, _, err := loadModel(out)
		if err != nil {
			t.Fatal(err)
		}
		if meta, _ := m.MetadataValue(pack.KeyPreprocess); strings.Contains(meta, `"antialias":true`) != c.want {
			t.Errorf("%s: preprocessing metadata %s", c.flag, meta)
		}
		if code, _, errOut := run(t, "verify", out, "--data", data); code != 0 {
			t.Errorf("%s: verify from the record: exit %d: %s", c.flag, code, errOut)
		}
		other := fmt.Sprintf("--antialias=%v", !c.want)
		if code, _, errOut := run(t, "verify", out, "--data", data, "--resize", "28", other); code != ExitUsage || !strings.Contains(errOut, "--resize changes the preprocessing") {
			t.Errorf("%s: verify with %s: exit %d, want %d: %s", c.flag, other, code, ExitUsage, errOut)
		}
	}
}

// TestAnySizeInput: a model exported for any height and width (PyTorch's
// dynamic_axes on H and W) runs as PyTorch does at the size it is given; the
// main command, which plans for one size, refuses it without a size and
// names the flags that give one; with --center-crop it fine-tunes and
// verifies exactly as its fixed-size twin (the same weights), and the .bnn
// records the size.
func TestAnySizeInput(t *testing.T) {
	y := filepath.Join(t.TempDir(), "y.npy")
	if code, _, errOut := run(t, "run", testModel("layout_dynhw.onnx"), "--input", testModel("layout_dynhw.input.npy"), "--output", y); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	got, want := readFloatNPY(t, y), readFloatNPY(t, testModel("layout_dynhw.torch_output.npy"))
	if err := reftest.Compare(got, want, familyTol); err != nil {
		t.Errorf("run vs PyTorch: %v", err)
	}
	data := colorFolder(t, 20, 4, 26, 23)
	dir := t.TempDir()
	code, _, errOut := run(t, testModel("layout_dynhw.onnx"), filepath.Join(dir, "a.bnn"), "--data", data)
	if code != ExitFailure || !strings.Contains(errOut, "--center-crop") {
		t.Errorf("no size: exit %d, stderr %q; want 1 and the flags named", code, errOut)
	}
	var sums []CompressSummary
	for _, name := range []string{"layout_nchw", "layout_dynhw"} {
		out := filepath.Join(dir, name+".bnn")
		sums = append(sums, tunedOneEpoch(t, testModel(name+".onnx"), out, "--data", data, "--val", data, "--resize", "22", "--center-crop", "20",
			"--epochs", "1", "--batch-size", "8", "--seed", "2", "--json"))
		m, _, err := loadModel(out)
		if err != nil {
			t.Fatal(err)
		}
		if in := m.Graph.DataInputs()[0]; ir.FormatDims(in.Shape[1:]) != ir.FormatDims([]ir.Dim{{Size: 3}, {Size: 20}, {Size: 20}}) {
			t.Errorf("%s: the .bnn's input is %s, want 3x20x20", name, ir.FormatDims(in.Shape))
		}
		// verify against the source takes the size from the .bnn's record,
		// as it takes the rest of the preprocessing: no flags needed.
		if code, _, errOut := run(t, "verify", out, "--data", data, "--ref", testModel(name+".onnx")); code != 0 {
			t.Errorf("verify %s --ref %s.onnx: exit %d: %s", filepath.Base(out), name, code, errOut)
		}
	}
	if a, b := sums[0], sums[1]; a.Epochs[0].Loss != b.Epochs[0].Loss || a.Verify.Accuracy != b.Verify.Accuracy {
		t.Errorf("fixed size: loss %v, accuracy %v; any size: loss %v, accuracy %v",
			a.Epochs[0].Loss, a.Verify.Accuracy, b.Epochs[0].Loss, b.Verify.Accuracy)
	}
}

// tunedOneEpoch runs the main command (with --epochs 1 --json) and returns
// its summary, failing unless it trained one epoch and verified.
func tunedOneEpoch(t *testing.T, args ...string) CompressSummary {
	t.Helper()
	code, stdout, errOut := run(t, args...)
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", filepath.Base(args[0]), code, errOut)
	}
	sum := lastSummary(t, stdout)
	if len(sum.Epochs) != 1 || sum.Verify == nil {
		t.Fatalf("%s: %d epochs, verify report %v", filepath.Base(args[0]), len(sum.Epochs), sum.Verify != nil)
	}
	return sum
}

// TestVerifyBatchSize: verify batches as --batch-size says, with the same
// report at any size; a size below 1 is a usage error.
func TestVerifyBatchSize(t *testing.T) {
	data := colorFolder(t, 11, 4, 22, 21)
	args := []string{"verify", testModel("layout_nchw.onnx"), "--data", data, "--center-crop", "20", "--mean", "0.5", "--std", "0.25", "--json"}
	_, want, _ := run(t, args...)
	for _, size := range []string{"1", "4", "11", "50"} {
		if code, got, errOut := run(t, append(args, "--batch-size", size)...); code != 0 || got != want {
			t.Errorf("--batch-size %s: exit %d (%s), report differs: %v", size, code, errOut, got != want)
		}
	}
	if code, _, _ := run(t, append(args, "--batch-size", "0")...); code != ExitUsage {
		t.Errorf("--batch-size 0: exit %d, want %d", code, ExitUsage)
	}
}

// TestDeterministicFolderAcrossThreads: fine-tuning from an image folder
// with a resize, random crops and flips gives a byte-identical .bnn at
// GOMAXPROCS 1, 2 and 4 (the pipeline's worker count follows it).
func TestDeterministicFolderAcrossThreads(t *testing.T) {
	root := t.TempDir()
	for i := range 48 {
		m := image.NewGray(image.Rect(0, 0, 34+i%3, 30))
		for p := range m.Pix {
			m.Pix[p] = byte((p%(34+i%3))*(1+i%3)*20 + p/(34+i%3)*3*(i%5))
		}
		var b bytes.Buffer
		if err := png.Encode(&b, m); err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(root, fmt.Sprintf("%d", i%3), fmt.Sprintf("%02d.png", i)), b.Bytes())
	}
	sameBNNAcrossThreads(t, testModel("fmnist_tiny.onnx"), "--data", root, "--resize", "30", "--center-crop", "28",
		"--epochs", "1", "--batch-size", "16", "--mean", "0.2860", "--std", "0.3530", "--seed", "3")
}

// sameBNNAcrossThreads runs the main command on model with flags at
// GOMAXPROCS 1, 2 and 4, writing into another folder each time (spelled
// differently once), and fails unless the three .bnn files are
// byte-identical.
func sameBNNAcrossThreads(t *testing.T, model string, flags ...string) {
	t.Helper()
	dir := t.TempDir()
	var outputs [][]byte
	for _, procs := range []int{1, 2, 4} {
		prev := runtime.GOMAXPROCS(procs)
		sub := filepath.Join(dir, fmt.Sprint(procs))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(sub, "m.bnn")
		if procs == 4 {
			out = dir + "/1/../4/./m.bnn" // not cleaned, as a user might type it
		}
		code, _, errOut := run(t, append([]string{model, out}, flags...)...)
		runtime.GOMAXPROCS(prev)
		if code != 0 {
			t.Fatalf("GOMAXPROCS=%d: exit %d: %s", procs, code, errOut)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, b)
	}
	for i, procs := range []int{2, 4} {
		if !bytes.Equal(outputs[0], outputs[i+1]) {
			t.Errorf("the .bnn differs between GOMAXPROCS=1 and %d", procs)
		}
	}
}

// TestFolderSubsetNumberedByName: a --val folder, or verify's data, holding
// only some of the training classes is scored against the outputs of those
// classes by name, not by its own folder order: its per-class figures equal
// those classes' figures on the whole folder, and the .bnn keeps the
// training split's class names.
func TestFolderSubsetNumberedByName(t *testing.T) {
	full := colorFolder(t, 24, 4, 22, 21)
	subset := t.TempDir()
	for _, c := range []string{"class2", "class3"} {
		if err := os.CopyFS(filepath.Join(subset, c), os.DirFS(filepath.Join(full, c))); err != nil {
			t.Fatal(err)
		}
	}
	prep := []string{"--center-crop", "20", "--mean", "0.5", "--std", "0.25"}
	perClass := func(args ...string) map[int]verify.ClassStats {
		t.Helper()
		code, out, errOut := run(t, append(append(args, prep...), "--json")...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		if args[0] != "verify" { // the main command's summary is its last line
			lines := strings.Split(strings.TrimSpace(out), "\n")
			out = lines[len(lines)-1]
		}
		var rep struct {
			verify.Report
			Verify *verify.Report `json:"verify"` // the main command's summary
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		r := cmp.Or(rep.Verify, &rep.Report)
		stats := map[int]verify.ClassStats{}
		for _, c := range r.PerClass {
			if c.Images > 0 {
				stats[c.Class] = c
			}
		}
		return stats
	}
	bnn := filepath.Join(t.TempDir(), "m.bnn")
	viaVal := perClass(testModel("layout_nchw.onnx"), bnn, "--data", full, "--val", subset, "--epochs", "0", "--keep-float", "none")
	whole := perClass("verify", bnn, "--data", full)
	viaVerify := perClass("verify", bnn, "--data", subset)
	for name, got := range map[string]map[int]verify.ClassStats{"--val": viaVal, "verify": viaVerify} {
		if len(got) != 2 || got[2].Images != whole[2].Images || got[3].Images != whole[3].Images {
			t.Errorf("%s: per-class images %v, want classes 2 and 3 as on the whole folder %v", name, got, whole)
		}
	}
	if got := viaVerify[3].Accuracy; got != whole[3].Accuracy {
		t.Errorf("verify on the subset: class3 accuracy %v, on the whole folder %v", got, whole[3].Accuracy)
	}
	m, _, err := loadModel(bnn)
	if err != nil {
		t.Fatal(err)
	}
	if got := modelLabels(m); !slices.Equal(got, []string{"class0", "class1", "class2", "class3"}) {
		t.Errorf("the .bnn's labels are %q, want the training split's", got)
	}
}

// TestLimitWarnsOfMissingClasses: --limit keeps an image folder's first
// files, which hold its first classes only; the run, and verify, say so.
func TestLimitWarnsOfMissingClasses(t *testing.T) {
	data := colorFolder(t, 20, 4, 22, 21)
	args := []string{testModel("layout_nchw.onnx"), filepath.Join(t.TempDir(), "m.bnn"), "--data", data, "--center-crop", "20", "--epochs", "0"}
	code, _, errOut := run(t, append(args, "--limit", "6")...)
	if code != 0 || !strings.Contains(errOut, "hold 2 of its 4 classes") {
		t.Errorf("--limit 6: exit %d, stderr %q; want a warning that 2 of 4 classes are held", code, errOut)
	}
	if code, _, errOut := run(t, append(args, "--limit", "20")...); code != 0 || strings.Contains(errOut, "classes (an image folder") {
		t.Errorf("--limit 20: exit %d, stderr %q; want no warning", code, errOut)
	}
	// verify, which gates on the images --limit keeps, says so too
	code, _, errOut = run(t, "verify", testModel("layout_nchw.onnx"), "--data", data, "--center-crop", "20", "--limit", "6")
	if code != 0 || !strings.Contains(errOut, "hold 2 of its 4 classes") {
		t.Errorf("verify --limit 6: exit %d, stderr %q; want a warning that 2 of 4 classes are held", code, errOut)
	}
}

// TestClassifierShape: the class count is what the graph computes for one
// image, whatever the output declares (nothing, a symbolic size as
// dynamic_axes leave it, or a size that is wrong, which is refused); a
// 1×1-convolution head's [N, K, 1, 1] and a 4-channel input are a
// classifier's; an input that is not float32 is refused up front, before
// the data pipeline would feed it float pixels its Cast rescales.
func TestClassifierShape(t *testing.T) {
	load := func(path string, edit func(m *ir.Model)) (modelIO, error) {
		t.Helper()
		m, _, err := loadModel(path)
		if err != nil {
			t.Fatal(err)
		}
		edit(m)
		mio, _, err := checkModel(path, m, infer.Options{})
		return mio, err
	}
	tiny := testModel("fmnist_tiny.onnx")
	output := func(dims ...ir.Dim) func(m *ir.Model) {
		return func(m *ir.Model) { m.Graph.Outputs[0].Shape = dims }
	}
	for name, edit := range map[string]func(m *ir.Model){
		"declared":     func(*ir.Model) {},
		"no shape":     output(),
		"symbolic":     output(ir.Dim{Param: "batch"}, ir.Dim{Param: "classes"}),
		"unknown rank": func(m *ir.Model) { m.Graph.Outputs[0].Shape = nil },
	} {
		mio, err := load(tiny, edit)
		if err != nil || mio.Classes != 10 {
			t.Errorf("%s: %d classes, %v; want 10", name, mio.Classes, err)
		}
	}
	if _, err := load(tiny, output(ir.Dim{Param: "batch"}, ir.Dim{Size: 7})); err == nil || !strings.Contains(err.Error(), "declared [batch 7] but computes [1 10]") {
		t.Errorf("an output declared with 7 classes that computes 10: %v", err)
	}
	if _, err := load(tiny, func(m *ir.Model) { m.Graph.DataInputs()[0].DType = ir.Uint8 }); err == nil || !strings.Contains(err.Error(), "is uint8") {
		t.Errorf("a uint8 input: %v", err)
	}
	mio, err := load(familyFile("wrn_convhead_rgbd_op13", ".onnx"), func(*ir.Model) {})
	if err != nil || mio.Classes != 10 || mio.Shape != (dataset.Shape{C: 4, H: 16, W: 16}) || mio.Layout != dataset.NCHW {
		t.Errorf("4-channel input, [N, 10, 1, 1] logits: %+v, %v", mio, err)
	}
}

// TestSingleLogitRefusedByName: a model with one output value (a sigmoid
// binary classifier) meets data with a message that says so and how to
// export it, not "2 classes, the model 1 outputs: label out of range".
func TestSingleLogitRefusedByName(t *testing.T) {
	dir := t.TempDir()
	model := editedModel(t, dir, "one_logit", func(m *ir.Model) {
		fc := firstNode(t, m, "Gemm") // keep the weight's first row and the bias's first value
		w, bias := m.Graph.Initializer(fc.Inputs[1]), m.Graph.Initializer(fc.Inputs[2])
		w.Data, w.Shape = w.Data.([]float32)[:w.Shape[1]], []int{1, w.Shape[1]}
		bias.Data, bias.Shape = bias.Data.([]float32)[:1], []int{1}
		m.Graph.Outputs[0].Shape = nil
	})
	data := colorFolder(t, 6, 2, 28, 28)
	for _, args := range [][]string{
		{model, filepath.Join(dir, "m.bnn"), "--data", data, "--epochs", "0"},
		{"verify", model, "--data", data},
	} {
		code, _, errOut := run(t, args...)
		if code != ExitFailure || !strings.Contains(errOut, "single-logit binary classifier") || !strings.Contains(errOut, "two logits") {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 naming a single-logit classifier", args[0], code, errOut)
		}
	}
}

// TestTooLittleDataExitsOne: training data too small for the holdout (two
// images under the default --holdout 0.1, which holds one out) is a data
// set that does not fit, exit 1 as docs/CI.md says and as the trainer's own
// minimum is, not a usage error: no flag is wrong.
func TestTooLittleDataExitsOne(t *testing.T) {
	for _, extra := range [][]string{{"--limit", "2"}, {"--limit", "1", "--holdout", "0"}, {"--limit", "20", "--holdout", "19"}} {
		args := append([]string{testModel("fmnist_tiny.onnx"), filepath.Join(t.TempDir(), "m.bnn"), "--data", fmnistMini, "--epochs", "1"}, extra...)
		if code, _, errOut := run(t, args...); code != ExitFailure || !strings.Contains(errOut, "not enough data") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d, not enough data", extra, code, errOut, ExitFailure)
		}
	}
}

// TestFloatBytePixelsWarned: an x.npy of float pixels on the 0..255 scale
// (x.astype("float32") without / 255), which are read as already on [0,1]
// and would go in 255 times too bright, is warned of by name; the same
// pixels divided by 255 are not.
func TestFloatBytePixelsWarned(t *testing.T) {
	for _, scale := range []float32{1, 255} {
		dir := t.TempDir()
		x := make([]float32, 4*3*20*20)
		for i := range x {
			x[i] = float32(i%256) / scale
		}
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(npy.WriteFile(filepath.Join(dir, "x.npy"), &npy.Array{Shape: []int{4, 3, 20, 20}, DType: "float32", Data: x}))
		must(npy.WriteFile(filepath.Join(dir, "y.npy"), &npy.Array{Shape: []int{4}, DType: "int64", Data: []int64{0, 1, 2, 3}}))
		code, _, errOut := run(t, "verify", testModel("layout_nchw.onnx"), "--data", dir)
		if warned := strings.Contains(errOut, "whole numbers, up to 255") && strings.Contains(errOut, "x.npy"); code != 0 || warned != (scale == 1) {
			t.Errorf("pixels 0..255 / %v: exit %d, warned %v; stderr %q", scale, code, warned, errOut)
		}
	}
}

// TestFolderWithFewerClassesWarned: a model that records no class names
// numbers an image folder's classes by sorted name from 0, so a folder
// short of classes (a test split missing one) has the classes after the gap
// scored against the wrong outputs: fmnist_tiny's accuracy fell from 0.87
// to 0.30 with class 3 missing, silently. Verify warns.
func TestFolderWithFewerClassesWarned(t *testing.T) {
	data := colorFolder(t, 6, 2, 22, 21)
	args := []string{"verify", testModel("layout_nchw.onnx"), "--data", data, "--center-crop", "20", "--mean", "0.5", "--std", "0.25", "-q"}
	code, _, errOut := run(t, args...)
	if code != 0 || !strings.Contains(errOut, "names 2 classes, the model has") || !strings.Contains(errOut, "records no class names") {
		t.Errorf("exit %d, stderr %q; want a warning that the folder names 2 classes", code, errOut)
	}
}

// TestVerifyOnTrainingSplitWarned: data with a train split and no test
// split is evaluated whole, silently, though those are the images a model
// is fine-tuned on (inflated accuracy, a smaller drop). Verify warns; a
// test split or a folder without a split name does not.
func TestVerifyOnTrainingSplitWarned(t *testing.T) {
	root := t.TempDir()
	if err := os.Rename(colorFolder(t, 6, 2, 22, 21), filepath.Join(root, "train")); err != nil {
		t.Fatal(err)
	}
	args := []string{"verify", testModel("layout_nchw.onnx"), "--center-crop", "20", "--mean", "0.5", "--std", "0.25", "-q", "--data"}
	for _, data := range []string{root, filepath.Join(root, "train")} {
		if code, _, errOut := run(t, append(args, data)...); code != 0 || !strings.Contains(errOut, "is a training split and the data has no test split") {
			t.Errorf("%s: exit %d, stderr %q; want a warning", data, code, errOut)
		}
	}
	if err := os.Rename(filepath.Join(root, "train"), filepath.Join(root, "test")); err != nil {
		t.Fatal(err)
	}
	if _, _, errOut := run(t, append(args, filepath.Join(root, "test"))...); strings.Contains(errOut, "training split") {
		t.Errorf("a test folder: unexpected warning %q", errOut)
	}
}

// TestCalibSubsetRecordsNoLabels: BN statistics re-estimated on a folder of
// two classes recorded those two names for a four-output model, and
// verify then refused the full data set ("class2 is not one of the
// model's classes"). Only a list naming every output is recorded.
func TestCalibSubsetRecordsNoLabels(t *testing.T) {
	bnn := filepath.Join(t.TempDir(), "c.bnn")
	prep := []string{"--center-crop", "20", "--mean", "0.5", "--std", "0.25"}
	args := append([]string{testModel("layout_nchw.onnx"), bnn, "--calib", colorFolder(t, 8, 2, 22, 21), "--calib-batches", "1"}, prep...)
	if code, _, errOut := run(t, args...); code != 0 {
		t.Fatalf("calibrating: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run(t, append([]string{"verify", bnn, "--data", colorFolder(t, 12, 4, 22, 21)}, prep...)...); code != 0 {
		t.Errorf("verifying on all four classes: exit %d: %s", code, errOut)
	}
	// a folder of every class is still recorded, and numbers later data
	args = append([]string{testModel("layout_nchw.onnx"), bnn, "--calib", colorFolder(t, 8, 4, 22, 21), "--calib-batches", "1"}, prep...)
	if code, _, errOut := run(t, args...); code != 0 {
		t.Fatalf("calibrating on every class: exit %d: %s", code, errOut)
	}
	m, err := onnx.ReadFile(bnn)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := m.MetadataValue(pack.KeyLabels); got != `["class0","class1","class2","class3"]` {
		t.Errorf("recorded labels %q, want the four folder names", got)
	}
}

// TestCIFARStrayBatchWarned: a file named like a CIFAR batch that is not
// one of the format's names ("data_batch_1 copy.bin") is not read, and
// verify names it in a warning, exit 0.
func TestCIFARStrayBatchWarned(t *testing.T) {
	dir := t.TempDir()
	rec := make([]byte, 1+3*32*32)
	rec[0] = 3
	for _, name := range []string{"data_batch_1.bin", "test_batch.bin", "data_batch_1 copy.bin"} {
		if err := os.WriteFile(filepath.Join(dir, name), rec, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errOut := run(t, "verify", testModel("resnet20_cifar_op17.onnx"), "--data", dir, "--mean", "0.5", "--std", "0.25", "-q")
	if code != 0 || !strings.Contains(errOut, "data_batch_1 copy.bin is not a file name of the cifar10 format, so it is not read") {
		t.Errorf("exit %d, stderr %q; want a warning naming the copy", code, errOut)
	}
}

// TestVerifyReadsOnlyTheTestSplit: verify evaluates the test split alone,
// so the training split beside it is neither read nor checked: a train/
// class folder of no images or an image that is no image, or a training
// IDX file that is no gzip, is no error (it was exit 1, and
// Fashion-MNIST's 26 MB train file was inflated for nothing). A --report
// over the unread training file is still refused.
func TestVerifyReadsOnlyTheTestSplit(t *testing.T) {
	root := t.TempDir()
	if err := os.Rename(colorFolder(t, 6, 2, 22, 21), filepath.Join(root, "train")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(colorFolder(t, 4, 2, 22, 21), filepath.Join(root, "test")); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(root, "train", "class1", "broken.jpg"), []byte("not a JPEG"))
	if err := os.Mkdir(filepath.Join(root, "train", "class2"), 0o755); err != nil { // a class of no images
		t.Fatal(err)
	}
	code, _, errOut := run(t, "verify", testModel("layout_nchw.onnx"), "--data", root, "--center-crop", "20", "--mean", "0.5", "--std", "0.25", "-q")
	if code != 0 || strings.Contains(errOut, "broken.jpg") || strings.Contains(errOut, "class2") {
		t.Errorf("a broken train/: exit %d, stderr %q; want 0, train/ unread", code, errOut)
	}

	idx := t.TempDir()
	for _, name := range []string{"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		b, err := os.ReadFile(filepath.Join("../../../testdata/data/fmnist-mini", name))
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(idx, name), b)
	}
	train := filepath.Join(idx, "train-images-idx3-ubyte.gz")
	writeTestFile(t, train, []byte("not gzip"))
	writeTestFile(t, filepath.Join(idx, "train-labels-idx1-ubyte.gz"), []byte("not gzip"))
	args := []string{"verify", testModel("fmnist_tiny.onnx"), "--data", idx, "--mean", "0.2860", "--std", "0.3530", "--limit", "20", "-q"}
	if code, _, errOut := run(t, args...); code != 0 {
		t.Errorf("a broken training IDX file: exit %d, stderr %q; want 0", code, errOut)
	}
	if code, _, errOut := run(t, append(args, "--report", train)...); code != ExitUsage || !strings.Contains(errOut, "a file of the data set") {
		t.Errorf("--report over the training images: exit %d, stderr %q; want 2", code, errOut)
	}
	if b, _ := os.ReadFile(train); string(b) != "not gzip" {
		t.Error("the training images file was overwritten")
	}
}
