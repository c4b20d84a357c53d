package pack

import (
	"math"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/npy"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// run executes m on one input and returns its first output.
func run(t *testing.T, m *ir.Model, x *ir.Tensor) []float32 {
	t.Helper()
	p, err := infer.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(map[string]*ir.Tensor{p.Inputs()[0]: x})
	if err != nil {
		t.Fatal(err)
	}
	y, err := out[p.Outputs()[0]].Float32s()
	if err != nil {
		t.Fatal(err)
	}
	return y
}

// relErr is max|a−b| / max|b|.
func relErr(a, b []float32) float64 {
	scale := 0.0
	for _, x := range b {
		scale = math.Max(scale, math.Abs(float64(x)))
	}
	if len(a) != len(b) {
		return math.Inf(1)
	}
	return maxAbsDiff(a, b) / math.Max(scale, 1e-30)
}

func randomInput(seed int64, shape ...int) *ir.Tensor {
	r := rand.New(rand.NewSource(seed))
	x := make([]float32, ir.NumElements(shape))
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return ir.NewFloat32("x", shape, x)
}

// checkPackedRun checks that the packed model, run from its bits, matches
// both the binarized float graph it came from and Unpacked(packed).
func checkPackedRun(t *testing.T, name string, src *ir.Model, x *ir.Tensor) {
	t.Helper()
	p := mustPack(t, src)
	u, err := Unpacked(p)
	if err != nil {
		t.Fatal(err)
	}
	got := run(t, p, x)
	for what, ref := range map[string]*ir.Model{"binarized float graph": src, "Unpacked": u} {
		want := run(t, ref, x)
		if e := relErr(got, want); e > 1e-5 {
			t.Errorf("%s: packed run differs from the %s by %.3g relative", name, what, e)
		}
	}
}

// TestPackedRunMatchesFloat covers channel counts that are not multiples of
// 64 (70, 10, 65, 7, 3), groups, strides, dilations, auto_pad, a Gemm with
// transB = 0, alpha and beta, and a MatMul.
func TestPackedRunMatchesFloat(t *testing.T) {
	checkPackedRun(t, "mixed", mixedModel(), randomInput(1, 2, 3, 12, 12))
	checkPackedRun(t, "small", smallModel(), randomInput(2, 1, 2, 5, 5))
}

func TestPackedRunTransA(t *testing.T) {
	b := newBinModel(5, 6, 4)
	y := b.layer("Gemm", "fc", true, []string{"x", b.binary("fc.w", 3, 6, false, 3, 6), b.float("fc.c", 3)}, "y",
		attrInt("transA", 1), attrInt("transB", 1))
	checkPackedRun(t, "transA", b.done(y), randomInput(3, 6, 4))
}

// TestResNetsFromBits converts the PyTorch ResNets of testdata/models with
// every conv and the classifier binarized, packs them and checks the .bnn,
// encoded and decoded, against the binarized float graph.
func TestResNetsFromBits(t *testing.T) {
	models := []string{"resnet20_cifar_op11", "resnet20_cifar_folded_op13", "resnet18_w8_op11"}
	if !testing.Short() {
		models = append(models, "resnet50_w8_op17")
	}
	for _, name := range models {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "models", name+".onnx")
			m, err := onnx.ReadFile(path)
			if err != nil {
				t.Skipf("%v", err)
			}
			rep, err := convert.Binarize(m, convert.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range rep.Layers {
				if !l.Binarized {
					t.Errorf("layer %s kept float: %s", l.Node, l.Reason)
				}
			}
			bnn := roundTrip(t, mustPack(t, m))
			in, err := npy.ReadFile(filepath.Join("..", "testdata", "models", name+".input.npy"))
			if err != nil {
				t.Fatal(err)
			}
			x := ir.NewFloat32("input", in.Shape, in.Data.([]float32))
			got, want := run(t, bnn, x), run(t, m, x)
			t.Logf("%d binary layers, rel err %.3g, logits[0:3] %v vs %v", rep.Binarized(), relErr(got, want), got[:3], want[:3])
			if e := relErr(got, want); e > 1e-5 {
				t.Errorf("packed run differs from the binarized float graph by %.3g relative", e)
			}
		})
	}
}

// roundTrip encodes and decodes a model with package onnx and checks it.
func roundTrip(t *testing.T, m *ir.Model) *ir.Model {
	t.Helper()
	data, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := onnx.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(back); err != nil {
		t.Fatal(err)
	}
	return back
}

// TestPackedRunBadInput feeds inputs whose shape disagrees with the binary
// layers' attributes: the executor must return an error naming the node.
func TestPackedRunBadInput(t *testing.T) {
	b := newBinModel(6, 1, 4, 6, 6)
	y := b.layer("Conv", "bconv", true, []string{"x", b.binary("w", 5, 36, false, 5, 4, 3, 3)}, "y")
	y = b.layer("Flatten", "flat", false, []string{y}, "f", attrInt("axis", 1))
	y = b.layer("MatMul", "mm", true, []string{y, b.binary("m", 2, 80, true, 80, 2)}, "z")
	p := mustPack(t, b.done(y))
	prog, err := infer.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prog.Run(map[string]*ir.Tensor{"x": randomInput(1, 1, 4, 6, 6)}); err != nil {
		t.Fatalf("good input: %v", err)
	}
	for _, shape := range [][]int{{1, 3, 6, 6}, {1, 4, 2, 2}, {4, 6, 6}, {1, 4, 7, 6}} {
		_, err := prog.Run(map[string]*ir.Tensor{"x": randomInput(1, shape...)})
		if err == nil {
			t.Errorf("input %v: no error", shape)
		}
	}
}
