package pack

import (
	"errors"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/internal/bits"
	"github.com/bincompress/bincompress/ir"
)

func mustPack(t *testing.T, m *ir.Model) *ir.Model {
	t.Helper()
	p, err := Pack(m)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPackLayers(t *testing.T) {
	src := mixedModel()
	p := mustPack(t, src)
	want := map[string][]int{"c70": {70, 1}, "gconv": {10, 3}, "dw": {10, 1}, "fc1": {65, 1}, "fc2": {7, 2}, "fc3": {3, 1}}
	for _, n := range p.Graph.Nodes {
		shape, binary := want[n.Name]
		if binary != (n.Domain == Domain) {
			t.Errorf("node %s: domain %q", n.Name, n.Domain)
			continue
		}
		if binary {
			wb := p.Graph.Initializer(n.Inputs[1])
			if wb.DType != ir.Uint64 || wb.Shape[0] != shape[0] || wb.Shape[1] != shape[1] {
				t.Errorf("node %s: W_bits %v%v, want uint64%v", n.Name, wb.DType, wb.Shape, shape)
			}
		}
	}
	if p.Opset(Domain) != DomainVersion {
		t.Error("no ai.bincompress opset import")
	}
	if src.Opset(Domain) != 0 || src.Graph.Nodes[1].OpType != "Conv" {
		t.Error("Pack modified its input")
	}
	for _, gone := range []string{"c70.w", "c70.b", "fc1.w", "fc1.c"} {
		if p.Graph.Initializer(gone) != nil {
			t.Errorf("initializer %s of a packed layer is still there", gone)
		}
	}
}

// TestUnpackedEqualsSource checks that the weights Unpacked rebuilds are
// the source's ±m weights (Gemm's alpha folded into them).
func TestUnpackedEqualsSource(t *testing.T) {
	src := mixedModel()
	u, err := Unpacked(mustPack(t, src))
	if err != nil {
		t.Fatal(err)
	}
	if u.Opset(Domain) != 0 {
		t.Error("Unpacked kept the ai.bincompress import")
	}
	for _, n := range u.Graph.Nodes {
		if n.OpType != "Conv" && n.OpType != "Gemm" && n.OpType != "MatMul" {
			continue
		}
		got := u.Graph.Initializer(n.Inputs[1]).Data.([]float32)
		srcNode := src.Graph.Nodes[nodeIndex(src.Graph, n.Name)]
		want := src.Graph.Initializer(srcNode.Inputs[1]).Data.([]float32)
		scale := float32(1)
		if n.Name == "fc1" { // Gemm with transB = 0 and alpha 0.5: unpacked as [N, K] with alpha folded
			want = transpose(want, 10, 65)
			scale = 0.5
		}
		scaled := make([]float32, len(want))
		for i, x := range want {
			scaled[i] = x * scale
		}
		if d := maxAbsDiff(got, scaled); d > 1e-7 || len(got) != len(want) {
			t.Errorf("%s: weights differ by %g", n.Name, d)
		}
	}
}

func transpose(w []float32, rows, cols int) []float32 {
	out := make([]float32, len(w))
	for r := range rows {
		for c := range cols {
			out[c*rows+r] = w[r*cols+c]
		}
	}
	return out
}

func TestPackDeterministic(t *testing.T) {
	dump := func() string {
		var b strings.Builder
		if err := ir.Dump(&b, mustPack(t, mixedModel())); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if a, b := dump(), dump(); a != b {
		t.Fatal("two packs of the same model differ")
	}
}

func TestPackRejectsNonBinary(t *testing.T) {
	m := mixedModel()
	m.Graph.Initializer("gconv.w").Data.([]float32)[5] *= 1.5
	_, err := Pack(m)
	if !errors.Is(err, ErrNotBinary) || !strings.Contains(err.Error(), "gconv") {
		t.Fatalf("err = %v, want ErrNotBinary naming gconv", err)
	}
	if _, err := Pack(&ir.Model{Graph: &ir.Graph{}}); err == nil {
		t.Fatal("a model without layer records packed")
	}
}

// TestPackSpecVectors packs each vector of testdata/bnn/vectors.json as a
// conv or dense weight (values replaced by their signs) and compares W_bits
// with the bytes numpy produced.
func TestPackSpecVectors(t *testing.T) {
	for _, c := range loadVectors(t) {
		b := newBinModel(1, 1)
		w := make([]float32, len(c.Values))
		for i, v := range c.Values {
			w[i] = bits.Sign(float32(v))
		}
		b.m.Graph.Initializers = append(b.m.Graph.Initializers, ir.NewFloat32("w", c.Shape, w))
		op := "Conv"
		var attrs []*ir.Attr
		if len(c.Shape) == 2 {
			op, attrs = "Gemm", []*ir.Attr{attrInt("transB", 1)}
		}
		b.layer(op, "l", true, []string{"x", "w"}, "y", attrs...)
		p := mustPack(t, b.done("y"))
		got := bits.Bytes(p.Graph.Initializer("l_bits").Data.([]uint64))
		if h := hexString(got); h != c.PackedHex {
			t.Errorf("%s: W_bits %s, want %s", c.Name, h, c.PackedHex)
		}
	}
}
