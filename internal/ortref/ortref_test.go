package ortref

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

// TestRunMatchesTorch runs every testdata model that has a PyTorch output
// (written by testdata/scripts/*.py at export time) and holds onnxruntime's
// output to it within 1e-4: the harness and both references agree.
func TestRunMatchesTorch(t *testing.T) {
	SkipOrFail(t)
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	refs, err := filepath.Glob(filepath.Join(root, "testdata", "models", "*.torch_output.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) < 6 {
		t.Fatalf("found %d models with torch outputs in testdata/models, want >= 6", len(refs))
	}
	for _, ref := range refs {
		base := strings.TrimSuffix(ref, ".torch_output.npy")
		t.Run(filepath.Base(base), func(t *testing.T) {
			x := mustReadNPY(t, base+".input.npy")
			want := mustReadNPY(t, ref)
			out, err := Run(base+".onnx", map[string]*ir.Tensor{"input": x})
			if err != nil {
				t.Fatal(err)
			}
			got, ok := out["logits"]
			if !ok {
				t.Fatalf("outputs %v lack logits", keys(out))
			}
			d := maxAbsDiff(t, got, want)
			if d > 1e-4 {
				t.Errorf("max |ort - torch| = %g, want <= 1e-4", d)
			}
			t.Logf("max |ort - torch| = %.3g", d)
		})
	}
}

// TestRunDynamicBatch checks the dynamic batch axis: row 0 alone gives row 0
// of the batch-2 run, in the model's original and a changed thread count.
func TestRunDynamicBatch(t *testing.T) {
	SkipOrFail(t)
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(root, "testdata", "models", "resnet20_cifar_op11")
	x := mustReadNPY(t, base+".input.npy")
	want := mustReadNPY(t, base+".torch_output.npy")
	xs, _ := x.Float32s()
	row := len(xs) / x.Shape[0]
	x1 := ir.NewFloat32("input", append([]int{1}, x.Shape[1:]...), xs[:row])
	out, err := RunWithOptions(base+".onnx", map[string]*ir.Tensor{"input": x1}, Options{Threads: 1, Optimization: "disabled"})
	if err != nil {
		t.Fatal(err)
	}
	got := out["logits"]
	if got == nil || len(got.Shape) != 2 || got.Shape[0] != 1 {
		t.Fatalf("logits %+v, want shape [1 N]", got)
	}
	ws, _ := want.Float32s()
	want1 := ir.NewFloat32("logits", []int{1, want.Shape[1]}, ws[:want.Shape[1]])
	if d := maxAbsDiff(t, got, want1); d > 1e-4 {
		t.Errorf("batch 1: max |ort - torch| = %g, want <= 1e-4", d)
	}
}

// TestRunAllTypes sends one tensor of each exchanged type through Identity
// nodes and expects every bit back.
func TestRunAllTypes(t *testing.T) {
	SkipOrFail(t)
	shape := []int{2, 3}
	in := map[string]*ir.Tensor{
		"in_float32": ir.NewFloat32("", shape, []float32{1.5, -2, float32(math.Inf(1)), 0, -0.0, 3e-39}),
		"in_float64": {DType: ir.Float64, Shape: shape, Data: []float64{1e300, -1, 0.1, 2, math.Inf(-1), 5e-324}},
		"in_float16": {DType: ir.Float16, Shape: shape, Data: []uint16{0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x3555}},
		"in_int8":    {DType: ir.Int8, Shape: shape, Data: []int8{-128, 127, 0, -1, 5, 6}},
		"in_uint8":   {DType: ir.Uint8, Shape: shape, Data: []uint8{0, 255, 1, 2, 3, 128}},
		"in_int16":   {DType: ir.Int16, Shape: shape, Data: []int16{-32768, 32767, 0, -1, 300, -300}},
		"in_uint16":  {DType: ir.Uint16, Shape: shape, Data: []uint16{0, 65535, 1, 2, 256, 4096}},
		"in_int32":   {DType: ir.Int32, Shape: shape, Data: []int32{math.MinInt32, math.MaxInt32, 0, -1, 70000, -70000}},
		"in_uint32":  {DType: ir.Uint32, Shape: shape, Data: []uint32{0, math.MaxUint32, 1, 1 << 31, 5, 6}},
		"in_int64":   ir.NewInt64("", shape, []int64{math.MinInt64, math.MaxInt64, 0, -1, 1 << 40, -(1 << 40)}),
		"in_uint64":  {DType: ir.Uint64, Shape: shape, Data: []uint64{0, math.MaxUint64, 1, 1 << 63, 5, 6}},
		"in_bool":    {DType: ir.Bool, Shape: shape, Data: []bool{true, false, false, true, true, false}},
	}
	out, err := Run(filepath.Join("testdata", "identity.onnx"), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("got %d outputs %v, want %d", len(out), keys(out), len(in))
	}
	for name, x := range in {
		oname := "out_" + strings.TrimPrefix(name, "in_")
		y := out[oname]
		if y == nil {
			t.Errorf("%s: missing", oname)
			continue
		}
		if y.DType != x.DType || fmt.Sprint(y.Shape) != fmt.Sprint(x.Shape) {
			t.Errorf("%s: %v %v, want %v %v", oname, y.DType, y.Shape, x.DType, x.Shape)
			continue
		}
		xb, _ := encodeData(x)
		yb, _ := encodeData(y)
		if string(xb) != string(yb) {
			t.Errorf("%s: data %v, want %v", oname, y.Data, x.Data)
		}
	}
}

func TestRunErrors(t *testing.T) {
	SkipOrFail(t)
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(root, "testdata", "models", "resnet20_cifar_op11.onnx")
	good := ir.NewFloat32("input", []int{1, 3, 32, 32}, make([]float32, 3*32*32))
	cases := []struct {
		name   string
		model  string
		inputs map[string]*ir.Tensor
		want   string
	}{
		{"missing model", filepath.Join(t.TempDir(), "none.onnx"), map[string]*ir.Tensor{"input": good}, "no such file"},
		{"not onnx", filepath.Join(root, "go.mod"), map[string]*ir.Tensor{"input": good}, "ort"},
		{"nil input", model, map[string]*ir.Tensor{"input": nil}, `input "input" is nil`},
		{"short data", model, map[string]*ir.Tensor{"input": ir.NewFloat32("input", []int{1, 3, 32, 32}, make([]float32, 5))}, "elements"},
		{"bfloat16", model, map[string]*ir.Tensor{"input": {DType: ir.BFloat16, Shape: []int{1}, Data: []uint16{1}}}, "not supported"},
		{"wrong name", model, map[string]*ir.Tensor{"x": good}, "input"},
		{"wrong shape", model, map[string]*ir.Tensor{"input": ir.NewFloat32("input", []int{1, 3, 8, 8}, make([]float32, 3*8*8))}, "ort"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Run(c.model, c.inputs)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q lacks %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestRepoRoot(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "ortref", "doc.go")); err != nil {
		t.Errorf("root %s: %v", root, err)
	}
	if isModule([]byte("module github.com/bincompress/bincompress/x\n")) || !isModule([]byte("// c\nmodule github.com/bincompress/bincompress\n")) {
		t.Error("isModule misjudges the module line")
	}
}

func TestCodecRoundTrip(t *testing.T) {
	for name, dt := range dtypeByName {
		s, err := dt.MakeSlice(3)
		if err != nil {
			t.Fatal(err)
		}
		x := &ir.Tensor{DType: dt, Shape: []int{3}, Data: s}
		raw, err := encodeData(x)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := range raw {
			raw[i] = byte(i*37 + 1)
		}
		if dt == ir.Bool {
			raw = []byte{1, 0, 1}
		}
		d, err := decodeData(dt, raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		back, err := encodeData(&ir.Tensor{DType: dt, Shape: []int{3}, Data: d})
		if err != nil || string(back) != string(raw) {
			t.Errorf("%s: %x -> %x (%v)", name, raw, back, err)
		}
	}
	if _, err := decodeData(ir.Bool, []byte{2}); err == nil {
		t.Error("bool byte 2 accepted")
	}
}

// fakeTB records how skipOrFail ended a test.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Skipf(format string, a ...any)  { f.skipped = fmt.Sprintf(format, a...) }
func (f *fakeTB) Fatalf(format string, a ...any) { f.failed = fmt.Sprintf(format, a...) }

func TestSkipOrFail(t *testing.T) {
	missing := fmt.Errorf("ortref: node not found")
	for _, c := range []struct {
		err          error
		ci           bool
		skip, failed bool
	}{
		{nil, false, false, false},
		{nil, true, false, false},
		{missing, false, true, false},
		{missing, true, false, true},
	} {
		f := &fakeTB{}
		skipOrFail(f, c.err, c.ci)
		if (f.skipped != "") != c.skip || (f.failed != "") != c.failed {
			t.Errorf("err=%v ci=%v: skipped %q failed %q", c.err, c.ci, f.skipped, f.failed)
		}
		if msg := f.skipped + f.failed; c.err != nil && !strings.Contains(msg, "node not found") {
			t.Errorf("message %q lacks the reason", msg)
		}
	}
}

func keys(m map[string]*ir.Tensor) []string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	return s
}

func maxAbsDiff(t *testing.T, got, want *ir.Tensor) float64 {
	t.Helper()
	if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
		t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
	}
	g, err := got.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	w, err := want.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	var d float64
	for i := range g {
		e := math.Abs(float64(g[i]) - float64(w[i]))
		if math.IsNaN(e) {
			return math.Inf(1)
		}
		d = math.Max(d, e)
	}
	return d
}

var npyShape = regexp.MustCompile(`'shape':\s*\(([0-9,\s]*)\)`)

// mustReadNPY reads a little-endian float32, C-order .npy file (format 1-3),
// the kind testdata/scripts writes.
func mustReadNPY(t *testing.T, path string) *ir.Tensor {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		t.Fatalf("%s: not a .npy file", path)
	}
	hlen, off := int(binary.LittleEndian.Uint16(b[8:])), 10
	if b[6] >= 2 {
		hlen, off = int(binary.LittleEndian.Uint32(b[8:])), 12
	}
	if off+hlen > len(b) {
		t.Fatalf("%s: header runs past the file", path)
	}
	h := string(b[off : off+hlen])
	if !strings.Contains(h, "'descr': '<f4'") || !strings.Contains(h, "'fortran_order': False") {
		t.Fatalf("%s: header %q, want little-endian float32 in C order", path, h)
	}
	m := npyShape.FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("%s: no shape in header %q", path, h)
	}
	var shape []int
	for _, f := range strings.Split(m[1], ",") {
		if f = strings.TrimSpace(f); f != "" {
			d, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("%s: shape %q: %v", path, m[1], err)
			}
			shape = append(shape, d)
		}
	}
	data := b[off+hlen:]
	n := ir.NumElements(shape)
	if len(data) != 4*n {
		t.Fatalf("%s: %d data bytes for shape %v", path, len(data), shape)
	}
	v, err := decodeData(ir.Float32, data)
	if err != nil {
		t.Fatal(err)
	}
	return ir.NewFloat32("", shape, v.([]float32))
}
