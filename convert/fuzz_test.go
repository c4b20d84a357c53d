package convert_test

import (
	"math/rand"
	"testing"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
	"github.com/bincompress/bincompress/simplify"
)

// FuzzImportPack runs the main command's path from model bytes to a .bnn
// on mutated models: decode, simplify (shape folding), binarize with the
// default plan, pack. Any stage may refuse; none may panic, and a .bnn that
// pack writes must pass pack.Check and unpack, as every .bnn a reader
// opens must. Run with a small -fuzzminimizetime, e.g.
//
//	go test ./convert -run '^$' -fuzz FuzzImportPack -fuzztime 3m -fuzzminimizetime 5s
func FuzzImportPack(f *testing.F) {
	seed, err := onnx.Encode(fuzzSeed())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := onnx.Decode(data)
		if err != nil {
			return
		}
		s, _, err := simplify.Model(m)
		if err != nil {
			return
		}
		if _, err := convert.Binarize(s, convert.Options{}); err != nil {
			return
		}
		b, err := pack.Pack(s)
		if err != nil {
			return
		}
		if err := pack.Check(b); err != nil {
			t.Fatalf("pack wrote a .bnn that Check refuses: %v", err)
		}
		if _, err := pack.Unpacked(b); err != nil {
			t.Fatalf("pack wrote a .bnn that does not unpack: %v", err)
		}
	})
}

// fuzzSeed is a small ResNet-like graph (about 2 KB encoded): a strided
// Conv with BatchNormalization and Relu, a shape subgraph feeding a
// Reshape, a residual Add and a Gemm.
func fuzzSeed() *ir.Model {
	rng := rand.New(rand.NewSource(1))
	g := &ir.Graph{Name: "seed", Inputs: []*ir.ValueInfo{{Name: "x", DType: ir.Float32,
		Shape: []ir.Dim{{Param: "N"}, {Size: 2}, {Size: 6}, {Size: 6}}}}}
	w := func(name string, shape ...int) string {
		d := make([]float32, ir.NumElements(shape))
		for i := range d {
			d[i] = float32(rng.NormFloat64())
		}
		g.Initializers = append(g.Initializers, ir.NewFloat32(name, shape, d))
		return name
	}
	ones := func(name string, n int) string {
		d := make([]float32, n)
		for i := range d {
			d[i] = 1
		}
		g.Initializers = append(g.Initializers, ir.NewFloat32(name, []int{n}, d))
		return name
	}
	node := func(op string, in []string, attrs ...*ir.Attr) string {
		out := op + "_" + string(rune('a'+len(g.Nodes)))
		g.Nodes = append(g.Nodes, &ir.Node{Name: out, OpType: op, Inputs: in, Outputs: []string{out}, Attrs: attrs})
		return out
	}
	ints := func(name string, v ...int64) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrInts, Ints: v} }
	y := node("Conv", []string{"x", w("w1", 4, 2, 3, 3)}, ints("pads", 1, 1, 1, 1), ints("strides", 2, 2))
	y = node("BatchNormalization", []string{y, ones("s", 4), w("b", 4), w("m", 4), ones("v", 4)})
	y = node("Relu", []string{y})
	z := node("Conv", []string{y, w("w2", 4, 4, 3, 3), w("b2", 4)}, ints("pads", 1, 1, 1, 1))
	y = node("Add", []string{y, z})
	y = node("GlobalAveragePool", []string{y})
	shape := node("Shape", []string{y})
	batch := node("Gather", []string{shape, "zero"}, &ir.Attr{Name: "axis", Type: ir.AttrInt})
	g.Initializers = append(g.Initializers, &ir.Tensor{Name: "zero", DType: ir.Int64, Shape: []int{1}, Data: []int64{0}},
		&ir.Tensor{Name: "minus1", DType: ir.Int64, Shape: []int{1}, Data: []int64{-1}})
	to := node("Concat", []string{batch, "minus1"}, &ir.Attr{Name: "axis", Type: ir.AttrInt})
	y = node("Reshape", []string{y, to})
	y = node("Gemm", []string{y, w("fc", 3, 4), w("fcb", 3)}, &ir.Attr{Name: "transB", Type: ir.AttrInt, I: 1})
	g.Outputs = []*ir.ValueInfo{{Name: y, DType: ir.Float32}}
	return &ir.Model{IRVersion: 7, OpsetImports: []ir.OpsetImport{{Version: 13}}, Graph: g}
}
