package infer_test

import (
	"math"
	"slices"
	"testing"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/bits"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// binaryConv adds an ai.bincompress BinaryConv with random signs, k×k,
// stride 1, "same" padding.
func (b *builder) binaryConv(x string, cin, cout, k int) string {
	taps := cin * k * k
	signs := make([]float32, cout*taps)
	for i := range signs {
		signs[i] = b.rng.Float32() - 0.5
	}
	words := make([]uint64, cout*bits.WordsPerRow(taps))
	bits.PackRows(words, signs, cout, taps)
	wb := b.init(&ir.Tensor{DType: ir.Uint64, Shape: []int{cout, bits.WordsPerRow(taps)}, Data: words})
	p := int64(k / 2)
	y := b.node("BinaryConv", []string{x, wb, b.random([]int{cout}, 0.05, 0.2), b.random([]int{cout}, -0.3, 0.3)},
		ints("kernel_shape", int64(k), int64(k)), intAttr("channels", int64(cin)), ints("pads", p, p, p, p))
	b.m.Graph.Nodes[len(b.m.Graph.Nodes)-1].Domain = "ai.bincompress"
	return y
}

func (b *builder) conv(x string, cin, cout, k int) string {
	p := int64(k / 2)
	return b.node("Conv", []string{x, b.random([]int{cout, cin, k, k}, -0.3, 0.3), b.random([]int{cout}, -0.1, 0.1)},
		ints("kernel_shape", int64(k), int64(k)), ints("pads", p, p, p, p))
}

// fusionModel has every case of fuse: Conv → Relu, Conv → Add → Relu with
// the convolution's output as either input, an Add that broadcasts (folded,
// but run unfused), and a convolution whose output is also a graph output
// (not folded).
func fusionModel() *ir.Model {
	b := newBuilder(13, 7)
	b.m.OpsetImports = append(b.m.OpsetImports, ir.OpsetImport{Domain: "ai.bincompress", Version: 1})
	x := b.input("input", 8, 9, 9)
	r1 := b.node("Relu", []string{b.binaryConv(x, 8, 8, 3)})
	r2 := b.node("Relu", []string{b.node("Add", []string{b.conv(r1, 8, 8, 3), x})})
	r3 := b.node("Relu", []string{b.node("Add", []string{r2, b.binaryConv(r2, 8, 8, 1)})})
	r4 := b.node("Relu", []string{b.node("Add", []string{b.conv(r3, 8, 8, 3), b.random([]int{1, 8, 1, 1}, -1, 1)})})
	c5 := b.conv(r4, 8, 8, 3)
	b.output(b.node("Relu", []string{c5}))
	b.output(c5)
	return b.m
}

func TestFusionFoldsAddAndRelu(t *testing.T) {
	p := compile(t, fusionModel())
	want := []string{"BinaryConv+Relu", "Conv+Add+Relu", "BinaryConv+Add+Relu", "Conv+Add+Relu", "Conv", "Relu"}
	if got := infer.FusedOps(p); !slices.Equal(got, want) {
		t.Fatalf("fused steps %v, want %v", got, want)
	}
}

// TestFusionBitIdentical runs models fused and one node per step, with
// float and int8 activations, and wants the same bits.
func TestFusionBitIdentical(t *testing.T) {
	models := map[string]*ir.Model{"cases": fusionModel()}
	for _, name := range []string{"resnet20_cifar_folded_op13"} {
		m, err := onnx.ReadFile("../testdata/models/" + name + ".onnx")
		if err != nil {
			t.Fatal(err)
		}
		models[name] = m
	}
	for name, m := range models {
		for _, int8 := range []bool{false, true} {
			p, err := infer.CompileWith(m, infer.Options{Int8Activations: int8})
			if err != nil {
				t.Fatal(err)
			}
			if name != "cases" && !slices.ContainsFunc(infer.FusedOps(p), func(op string) bool { return op == "Conv+Add+Relu" }) {
				t.Fatalf("%s: nothing folded: %v", name, infer.FusedOps(p))
			}
			in := m.Graph.DataInputs()[0]
			x := randomInput(3, batchOf(in, 2)...)
			x.Data.([]float32)[5] = float32(math.NaN())
			feed := map[string]*ir.Tensor{in.Name: x}
			got, want := runBothWays(t, p, feed)
			again, err := p.Run(feed) // with the buffers the first run left
			if err != nil {
				t.Fatal(err)
			}
			for out, w := range want {
				for _, g := range []*ir.Tensor{got[out], again[out]} {
					if !slices.EqualFunc(g.Data.([]float32), w.Data.([]float32), func(a, b float32) bool {
						return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b // NaN payloads may differ
					}) {
						t.Fatalf("%s int8=%v: output %q differs from the unfused run", name, int8, out)
					}
				}
			}
		}
	}
}

// TestFusionFoldsBatchNorm checks that PyTorch-exported models with
// BatchNormalization after every Conv fold it, and that the folded run
// stays within float rounding of the node-per-step run.
func TestFusionFoldsBatchNorm(t *testing.T) {
	for _, name := range []string{"resnet18_w8_op11", "resnet20_cifar_op17"} {
		m, err := onnx.ReadFile("../testdata/models/" + name + ".onnx")
		if err != nil {
			t.Fatal(err)
		}
		p := compile(t, m)
		ops := infer.FusedOps(p)
		for _, want := range []string{"Conv+BatchNormalization+Relu", "Conv+BatchNormalization+Add+Relu"} {
			if !slices.Contains(ops, want) {
				t.Fatalf("%s: no %s in %v", name, want, ops)
			}
		}
		if slices.Contains(ops, "BatchNormalization") {
			t.Fatalf("%s: a BatchNormalization left unfolded: %v", name, ops)
		}
		in := m.Graph.DataInputs()[0]
		assertFusedClose(t, p, map[string]*ir.Tensor{in.Name: randomInput(4, batchOf(in, 2)...)}, 1e-4)
	}
}

// assertFusedClose runs p fused and one node per step on feed and wants
// the outputs within tol (relative).
func assertFusedClose(t *testing.T, p *infer.Program, feed map[string]*ir.Tensor, tol float64) {
	t.Helper()
	got, want := runBothWays(t, p, feed)
	for out, w := range want {
		assertClose(t, got[out].Data.([]float32), w.Data.([]float32), tol)
	}
}

// TestFusionKeepsOverridableWeights runs a Conv → BatchNormalization whose
// weights are an initializer that is also a graph input: a caller may feed
// other weights, so the BatchNormalization must not be folded into the
// initializer's values.
func TestFusionKeepsOverridableWeights(t *testing.T) {
	b := newBuilder(13, 9)
	x := b.input("input", 4, 6, 6)
	y := b.convBN(x, 4, 5, 3, 1)
	b.output(y)
	conv := b.m.Graph.Nodes[0]
	w := b.m.Graph.InitializerMap()[conv.Inputs[1]]
	b.m.Graph.Inputs = append(b.m.Graph.Inputs, &ir.ValueInfo{Name: w.Name, DType: ir.Float32, Shape: []ir.Dim{{Size: 5}, {Size: 4}, {Size: 3}, {Size: 3}}})
	p := compile(t, b.m)
	other := randomInput(8, 5, 4, 3, 3)
	assertFusedClose(t, p, map[string]*ir.Tensor{"input": randomInput(7, 2, 4, 6, 6), w.Name: other}, 1e-5)
}

// batchOf is the shape of a batch of n for a [batch, ...] input.
func batchOf(in *ir.ValueInfo, n int) []int {
	shape := []int{n}
	for _, d := range in.Shape[1:] {
		shape = append(shape, int(d.Size))
	}
	return shape
}

// runBothWays runs p on feed fused (got) and one node per step (want).
func runBothWays(t *testing.T, p *infer.Program, feed map[string]*ir.Tensor) (got, want map[string]*ir.Tensor) {
	t.Helper()
	got, err := p.Run(feed)
	if err != nil {
		t.Fatal(err)
	}
	if want, err = infer.RunUnfused(p, feed); err != nil {
		t.Fatal(err)
	}
	return got, want
}
