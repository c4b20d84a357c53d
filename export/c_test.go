package export

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/internal/reftest"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
)

// buildC writes the C export of m with prefix into a temporary folder and
// compiles it with reftest's harness main and extra flags.
func buildC(t *testing.T, m *ir.Model, prefix string, extra ...string) string {
	t.Helper()
	reftest.NeedGCC(t)
	dir := t.TempDir()
	if err := WriteC(dir, prefix, m); err != nil {
		t.Fatal(err)
	}
	return reftest.BuildC(t, dir, prefix, extra...)
}

type cCase struct {
	name string
	bnn  func(t *testing.T) *ir.Model
	x    func(t *testing.T) *ir.Tensor
}

func cCases(short bool) []cCase {
	model := func(name string, keep ...string) cCase {
		return cCase{name + strings.Join(keep, "+"), func(t *testing.T) *ir.Model { return loadBNN(t, name, keep...) },
			func(t *testing.T) *ir.Tensor { return loadInput(t, name) }}
	}
	synth := func(opset int64) cCase {
		return cCase{"synth_op" + string(rune('0'+opset/10)) + string(rune('0'+opset%10)),
			func(t *testing.T) *ir.Model { return synthBNN(t, opset, opset) },
			func(t *testing.T) *ir.Tensor { return synthInput(opset, 3) }}
	}
	ops := func(opset int64) cCase {
		return cCase{"ops_op" + string(rune('0'+opset/10)) + string(rune('0'+opset%10)),
			func(t *testing.T) *ir.Model { return opsBNN(t, opset) },
			func(t *testing.T) *ir.Tensor { return opsInput(3) }}
	}
	cases := []cCase{model("resnet20_cifar_op11"), model("resnet20_cifar_op17", "first", "last"), model("families/tf_nhwc_op13"), synth(9), synth(13), ops(20)}
	if !short {
		cases = append(cases, ops(14), model("resnet20_cifar_folded_op13"), model("resnet18_w8_op11"), model("resnet50_w8_op17"), model("fmnist_tiny"))
	}
	return cases
}

// TestCMatchesBNN compiles the C export with every warning an error, runs
// it image by image and checks it against our execution of the .bnn.
func TestCMatchesBNN(t *testing.T) {
	reftest.NeedGCC(t)
	for _, c := range cCases(testing.Short()) {
		t.Run(c.name, func(t *testing.T) {
			bnn, x := c.bnn(t), c.x(t)
			want := runOurs(t, bnn, x)
			got := reftest.RunC(t, buildC(t, bnn, "net"), x, want.Shape)
			closeTo(t, "C export", got, want, 1e-4)
		})
	}
}

// TestCNaNLikeBNN feeds NaN through the ops that compare and select
// (Relu, MaxPool, GlobalMaxPool, Clip): the C export gives NaN exactly
// where our execution of the .bnn does, and every other value within
// 1e-5. A comparison such as x > 0 that is false for NaN would turn a bad
// pixel into plausible outputs. (onnxruntime 1.30 agrees for Relu and
// Clip; its MaxPool and GlobalMaxPool skip NaN, so it is no reference here.)
func TestCNaNLikeBNN(t *testing.T) {
	bnn, x := selectBNN(t), nanInput()
	want := runOurs(t, bnn, x)
	w := want.Data.([]float32)
	if !slices.ContainsFunc(w, func(v float32) bool { return v != v }) {
		t.Fatal("our execution gives no NaN: the test input does not exercise NaN")
	}
	sameSelection(t, reftest.RunC(t, buildC(t, bnn, "net"), x, want.Shape), want)
}

// sameSelection fails unless got is NaN exactly where want is and within
// 1e-5 of it elsewhere (closeTo never matches NaN).
func sameSelection(t *testing.T, got, want *ir.Tensor) {
	t.Helper()
	g, w := slices.Clone(got.Data.([]float32)), slices.Clone(want.Data.([]float32))
	if len(g) != len(w) {
		t.Fatalf("%d values, want %d", len(g), len(w))
	}
	for i := range w {
		if gn, wn := g[i] != g[i], w[i] != w[i]; gn != wn {
			t.Errorf("element %d is %v, our execution gives %v", i, g[i], w[i])
		} else if wn {
			g[i], w[i] = 0, 0
		}
	}
	closeTo(t, "non-NaN values", ir.NewFloat32("got", got.Shape, g), ir.NewFloat32("want", want.Shape, w), 1e-5)
}

// TestCSanitizers builds with the address and undefined-behaviour
// sanitizers (any report aborts the run) on models of every op family.
func TestCSanitizers(t *testing.T) {
	reftest.NeedGCC(t)
	for _, c := range cCases(true) {
		t.Run(c.name, func(t *testing.T) {
			bnn, x := c.bnn(t), c.x(t)
			want := runOurs(t, bnn, x)
			bin := buildC(t, bnn, DefaultPrefix, "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer")
			got := reftest.RunC(t, bin, x, want.Shape, "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0", "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1")
			closeTo(t, "C export under sanitizers", got, want, 1e-4)
		})
	}
}

// TestCUnsupportedOp: an op without C code (ArgMax: the C target computes
// floats only) is the op layer's *UnsupportedOpError naming op, node and
// the C export, and WriteC leaves no file behind.
func TestCUnsupportedOp(t *testing.T) {
	bnn := loadBNN(t, "resnet20_cifar_op11")
	m := *bnn
	g := *bnn.Graph
	m.Graph, m.Metadata = &g, append([]ir.KeyValue(nil), bnn.Metadata...)
	g.Nodes = append([]*ir.Node(nil), g.Nodes...)
	last := g.Nodes[len(g.Nodes)-1]
	g.Nodes = append(g.Nodes, &ir.Node{Name: "odd_one", OpType: "ArgMax", Inputs: []string{last.Outputs[0]}, Outputs: []string{"arg_out"},
		Attrs: []*ir.Attr{{Name: "axis", Type: ir.AttrInt, I: 1}}})
	g.Outputs = []*ir.ValueInfo{{Name: "arg_out", DType: ir.Int64}}
	m.SetMetadata(pack.KeyDigest, pack.Digest(&m))
	dir := t.TempDir()
	err := WriteC(dir, "", &m)
	var u *schema.UnsupportedOpError
	if !errors.As(err, &u) || u.Op != "ArgMax" || u.Node != `"odd_one"` || u.Stage != schema.CExport {
		t.Fatalf("error %v, want an UnsupportedOpError for ArgMax at odd_one in the C export", err)
	}
	if !strings.Contains(err.Error(), "ArgMax") || !strings.Contains(err.Error(), "odd_one") {
		t.Errorf("message %q does not name op and node", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left behind: %v", entries)
	}
	// Sizes (inspect's table) reports the format as unsupported instead of
	// failing: the other formats still have their sizes.
	sizes, err := Sizes(&m, onnx.Encode)
	if err != nil || len(sizes) != 4 || !strings.Contains(sizes[3].Unsupported, "ArgMax") || sizes[0].Bytes == 0 {
		t.Errorf("Sizes: %+v, %v", sizes, err)
	}
}

// TestCTwoOutputs: a .bnn with a second output (an intermediate tensor
// exported as well) is beyond the C target, which Sizes reports instead of
// failing, so inspect still describes the file.
func TestCTwoOutputs(t *testing.T) {
	bnn := loadBNN(t, "resnet20_cifar_op11")
	m := *bnn
	g := *bnn.Graph
	m.Graph, m.Metadata = &g, append([]ir.KeyValue(nil), bnn.Metadata...)
	g.Outputs = append(append([]*ir.ValueInfo(nil), g.Outputs...), &ir.ValueInfo{Name: g.Nodes[0].Outputs[0], DType: ir.Float32})
	m.SetMetadata(pack.KeyDigest, pack.Digest(&m))
	if err := WriteC(t.TempDir(), "", &m); !errors.Is(err, schema.ErrUnsupported) {
		t.Errorf("WriteC: %v, want unsupported", err)
	}
	sizes, err := Sizes(&m, onnx.Encode)
	if err != nil || len(sizes) != 4 || !strings.Contains(sizes[3].Unsupported, "one output") || sizes[0].Bytes == 0 {
		t.Errorf("Sizes: %+v, %v", sizes, err)
	}
}

// TestCFixedBatch: a model exported at a fixed batch of 3 whose graph bakes
// that batch into a Reshape to [3, -1] runs on three images, not on one as
// the C target does. WriteC refuses it as unsupported, naming the node and
// the fixed batch, and Sizes (inspect's table) reports the C target as
// unsupported instead of failing. A fixed batch the graph does not depend
// on (Flatten) still exports.
func TestCFixedBatch(t *testing.T) {
	build := func(reshape bool) *ir.Model {
		g := &ir.Graph{Name: "fixed_batch", Inputs: []*ir.ValueInfo{{Name: "input", DType: ir.Float32,
			Shape: []ir.Dim{{Size: 3}, {Size: 2}, {Size: 4}, {Size: 4}}}}}
		w := make([]float32, 8*2*3*3)
		for i := range w {
			w[i] = float32(i%7) - 3
		}
		fc := make([]float32, 5*8*4*4)
		for i := range fc {
			fc[i] = float32(i%5) - 2
		}
		g.Initializers = []*ir.Tensor{ir.NewFloat32("w", []int{8, 2, 3, 3}, w), ir.NewFloat32("fc", []int{5, 128}, fc),
			ir.NewInt64("shape", []int{2}, []int64{3, -1})}
		g.Nodes = []*ir.Node{{Name: "conv", OpType: "Conv", Inputs: []string{"input", "w"}, Outputs: []string{"c"},
			Attrs: []*ir.Attr{{Name: "pads", Type: ir.AttrInts, Ints: []int64{1, 1, 1, 1}}}},
			{Name: "relu", OpType: "Relu", Inputs: []string{"c"}, Outputs: []string{"r"}},
			{Name: "flat", OpType: "Flatten", Inputs: []string{"r"}, Outputs: []string{"f"}},
			{Name: "fc", OpType: "Gemm", Inputs: []string{"f", "fc"}, Outputs: []string{"logits"},
				Attrs: []*ir.Attr{{Name: "transB", Type: ir.AttrInt, I: 1}}}}
		if reshape {
			g.Nodes[2] = &ir.Node{Name: "flat", OpType: "Reshape", Inputs: []string{"r", "shape"}, Outputs: []string{"f"}}
		}
		g.Outputs = []*ir.ValueInfo{{Name: "logits", DType: ir.Float32}}
		return binarizeAndPack(t, &ir.Model{IRVersion: 7, OpsetImports: []ir.OpsetImport{{Version: 13}}, Graph: g})
	}
	m := build(true)
	err := WriteC(t.TempDir(), "", m)
	if !errors.Is(err, schema.ErrUnsupported) || !strings.Contains(err.Error(), `node "flat"`) ||
		!strings.Contains(err.Error(), `input "input" has a fixed batch of 3`) {
		t.Errorf("WriteC: %v, want unsupported naming node flat and the fixed batch of 3", err)
	}
	if err := schema.Check(m, schema.CExport); !errors.Is(err, schema.ErrUnsupported) || !strings.Contains(err.Error(), "fixed batch of 3") {
		t.Errorf("schema.Check (the CLI's check before export): %v, want the same refusal", err)
	}
	sizes, err := Sizes(m, onnx.Encode)
	if err != nil || len(sizes) != 4 || !strings.Contains(sizes[3].Unsupported, "fixed batch of 3") || sizes[0].Bytes == 0 {
		t.Errorf("Sizes: %+v, %v", sizes, err)
	}
	if testing.Short() {
		return
	}
	flat := build(false)
	d := make([]float32, 2*4*4)
	for i := range d {
		d[i] = float32(i%9) - 4
	}
	x := ir.NewFloat32("input", []int{1, 2, 4, 4}, d)
	want := runOurs(t, flat, ir.NewFloat32("input", []int{3, 2, 4, 4}, append(append(append([]float32{}, d...), d...), d...)))
	got := reftest.RunC(t, buildC(t, flat, "net"), x, []int{1, 5})
	closeTo(t, "C export of a fixed batch", got, ir.NewFloat32("", []int{1, 5}, want.Data.([]float32)[:5]), 1e-4)
}

// TestCHeaderLayout: the header names the input's layout, from the .bnn's
// preprocessing when it records one, else from the input shape, and lists
// the preprocessing a caller must apply. (TestCMatchesBNN runs the NHWC
// model's C export on the interleaved input that infer takes.)
func TestCHeaderLayout(t *testing.T) {
	nhwc := loadBNN(t, "families/tf_nhwc_op13")
	cases := []struct {
		name string
		bnn  *ir.Model
		want []string
	}{
		{"NHWC from the shape", nhwc, []string{"Input: float32 1x32x32x3 (one image), NHWC: channels interleaved per pixel.",
			"Preprocessing: the .bnn records none"}},
		{"NHWC recorded", withMetadata(t, nhwc, pack.KeyPreprocess, `{"version":1,"channels":3,"mean":[0.5],"std":[0.25],"layout":"NHWC"}`),
			[]string{"1x32x32x3 (one image), NHWC:", "1. pixels to float32 in [0, 1]", "2. a one-channel image repeated into 3 channels", "3. (x - mean[c]) / std[c] per channel c, mean 0.5, std 0.25\n"}},
		{"NCHW recorded", withMetadata(t, loadBNN(t, "resnet20_cifar_op11"), pack.KeyPreprocess, `{"version":1,"channels":3}`),
			[]string{"Input: float32 1x3x32x32 (one image), NCHW: one channel plane after another.", "3. no mean/std normalization"}},
		{"6 channels, NCHW by dataset.ImageDims's rule", synthBNN(t, 13, 1), []string{"Input: float32 1x6x9x7 (one image), NCHW: one channel plane after another."}},
	}
	for _, c := range cases {
		h, _, err := C(c.bnn, "")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, w := range c.want {
			if !strings.Contains(string(h), w) {
				t.Errorf("%s: header lacks %q:\n%s", c.name, w, h)
			}
		}
	}
	if _, _, err := C(withMetadata(t, nhwc, pack.KeyPreprocess, `{"version":1,"layout":"planar"}`), ""); err == nil {
		t.Error("a .bnn whose preprocessing does not parse was exported")
	}
}

// TestCPrefix checks the names --prefix changes and rejects prefixes that
// are not C identifiers.
func TestCPrefix(t *testing.T) {
	bnn := synthBNN(t, 13, 1)
	h, c, err := C(bnn, "edge_net")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#define EDGE_NET_INPUT_SIZE 378", "#define EDGE_NET_OUTPUT_SIZE 5", "#define EDGE_NET_WORKSPACE_BYTES ",
		"int edge_net_run(const float *input, float *output, void *workspace);"} {
		if !strings.Contains(string(h), want) {
			t.Errorf("header lacks %q", want)
		}
	}
	if !strings.Contains(string(c), `#include "edge_net.h"`) || strings.Contains(string(c), "bnn_") {
		t.Errorf("source does not use the prefix throughout")
	}
	for _, bad := range []string{"9lives", "a-b", "x y", strings.Repeat("a", 40)} {
		if _, _, err := C(bnn, bad); err == nil {
			t.Errorf("prefix %q accepted", bad)
		}
	}
}

// TestCPrefixLimits compiles the export with the longest prefix: nm finds
// every external symbol of the object within C99's 31 significant
// characters and every other within 63, as the macros are. One character
// more, or a standard header's name in any case (PREFIX.h would hide it),
// is refused.
func TestCPrefixLimits(t *testing.T) {
	cc := reftest.NeedGCC(t)
	nm, err := exec.LookPath("nm")
	if err != nil {
		t.Skipf("nm not available: %v", err)
	}
	prefix := strings.Repeat("p", MaxPrefix)
	dir := t.TempDir()
	if err := WriteC(dir, prefix, synthBNN(t, 13, 1)); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{}, reftest.CFlags...), "-O0", "-c", "-o", "x.o", prefix+".c")
	cmd := exec.Command(cc, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	out, err := exec.Command(nm, "--defined-only", filepath.Join(dir, "x.o")).Output()
	if err != nil {
		t.Fatal(err)
	}
	external := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line) // address, type (upper case: external), name
		limit := 63
		if kind := f[len(f)-2]; kind == strings.ToUpper(kind) {
			limit = 31
			external++
		}
		if name := f[len(f)-1]; len(name) > limit {
			t.Errorf("symbol %s has %d characters, C99 guarantees %d", name, len(name), limit)
		}
	}
	if external == 0 {
		t.Errorf("nm found no external symbol:\n%s", out)
	}
	h, err := os.ReadFile(filepath.Join(dir, prefix+".h"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`#define (\w+)`).FindAllStringSubmatch(string(h), -1) {
		if len(m[1]) > 63 {
			t.Errorf("macro %s has %d characters, C99 guarantees 63", m[1], len(m[1]))
		}
	}
	for _, bad := range []string{prefix + "p", "math", "Math", "string", "stddef", "stdint", "threads", "wctype", "_x", "__bnn"} {
		if err := CheckPrefix(bad); err == nil {
			t.Errorf("prefix %q accepted", bad)
		}
	}
	if err := CheckPrefix("mathnet"); err != nil {
		t.Errorf("prefix mathnet: %v", err)
	}
}

// TestCNodeNamesInComments: node names reach the C code's comments (before
// each kernel call and each constant array), so a name holding "/*" or "*/"
// must neither end a comment early nor open a nested one, which gcc -Wall
// (-Wcomment) reports and -Werror refuses. The export must still compile
// and match.
func TestCNodeNamesInComments(t *testing.T) {
	reftest.NeedGCC(t)
	m := synthBNN(t, 13, 13)
	c := *m
	g := *m.Graph
	c.Graph = &g
	g.Nodes = make([]*ir.Node, len(m.Graph.Nodes))
	layers, _ := m.MetadataValue(ir.LayersKey)
	for i, n := range m.Graph.Nodes {
		cp := *n
		cp.Name = "a/*b*/c/" + n.Name + "/*"
		g.Nodes[i] = &cp
		layers = strings.ReplaceAll(layers, `"`+n.Name+`"`, `"`+cp.Name+`"`)
	}
	c.Metadata = append([]ir.KeyValue(nil), m.Metadata...)
	c.SetMetadata(ir.LayersKey, layers)
	c.SetMetadata(pack.KeyDigest, pack.Digest(&c))
	x := synthInput(13, 2)
	want := runOurs(t, &c, x)
	closeTo(t, "C export", reftest.RunC(t, buildC(t, &c, "net"), x, want.Shape), want, 1e-4)
}

// TestCMatMulOfComputedValues: the C target multiplies by constant weights
// only, so a MatMul of two computed values (attention's Q·Kᵀ) is a
// *schema.UnsupportedOpError naming node and reason, and Sizes (inspect's
// table) reports the C target as unsupported instead of failing.
func TestCMatMulOfComputedValues(t *testing.T) {
	g := &ir.Graph{Name: "attention", Inputs: []*ir.ValueInfo{{Name: "input", DType: ir.Float32,
		Shape: []ir.Dim{{Param: "N"}, {Size: 2}, {Size: 3}, {Size: 3}}}}}
	w := make([]float32, 8*2*3*3)
	for i := range w {
		w[i] = float32(i%7) - 3
	}
	fc := make([]float32, 5*64)
	for i := range fc {
		fc[i] = float32(i%5) - 2
	}
	g.Initializers = []*ir.Tensor{ir.NewFloat32("w", []int{8, 2, 3, 3}, w), ir.NewFloat32("fc", []int{5, 64}, fc),
		ir.NewInt64("rows", []int{3}, []int64{0, 8, 9})}
	g.Nodes = []*ir.Node{{Name: "conv", OpType: "Conv", Inputs: []string{"input", "w"}, Outputs: []string{"c"},
		Attrs: []*ir.Attr{{Name: "pads", Type: ir.AttrInts, Ints: []int64{1, 1, 1, 1}}}},
		{Name: "rows", OpType: "Reshape", Inputs: []string{"c", "rows"}, Outputs: []string{"q"}},
		{Name: "kt", OpType: "Transpose", Inputs: []string{"q"}, Outputs: []string{"k"},
			Attrs: []*ir.Attr{{Name: "perm", Type: ir.AttrInts, Ints: []int64{0, 2, 1}}}},
		{Name: "qk", OpType: "MatMul", Inputs: []string{"q", "k"}, Outputs: []string{"s"}},
		{Name: "flat", OpType: "Flatten", Inputs: []string{"s"}, Outputs: []string{"f"}},
		{Name: "fc", OpType: "Gemm", Inputs: []string{"f", "fc"}, Outputs: []string{"logits"},
			Attrs: []*ir.Attr{{Name: "transB", Type: ir.AttrInt, I: 1}}}}
	g.Outputs = []*ir.ValueInfo{{Name: "logits", DType: ir.Float32}}
	m := binarizeAndPack(t, &ir.Model{IRVersion: 7, OpsetImports: []ir.OpsetImport{{Version: 13}}, Graph: g})
	err := WriteC(t.TempDir(), "", m)
	var u *schema.UnsupportedOpError
	if !errors.As(err, &u) || u.Op != "MatMul" || u.Node != `"qk"` || u.Stage != schema.CExport || !strings.Contains(u.Reason, "not a constant") {
		t.Errorf("WriteC: %v, want an UnsupportedOpError for MatMul at qk in the C export, with the reason", err)
	}
	sizes, err := Sizes(m, onnx.Encode)
	if err != nil || len(sizes) != 4 || !strings.Contains(sizes[3].Unsupported, "MatMul") || sizes[0].Bytes == 0 {
		t.Errorf("Sizes: %+v, %v", sizes, err)
	}
}
