package schema

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

// flattenModel is PyTorch's x.view(x.size(0), -1) after a conv: Shape →
// Gather(0) → Unsqueeze → Concat with [-1] → Reshape, on a symbolic batch.
func flattenModel() *ir.Model {
	g := &ir.Graph{
		Inputs:  []*ir.ValueInfo{{Name: "x", DType: ir.Float32, Shape: []ir.Dim{{Size: -1, Param: "N"}, {Size: 3}, {Size: 8}, {Size: 8}}}},
		Outputs: []*ir.ValueInfo{{Name: "y"}},
		Initializers: []*ir.Tensor{ir.NewFloat32("w", []int{4, 3, 3, 3}, make([]float32, 108)),
			ir.NewInt64("zero", nil, []int64{0}), ir.NewInt64("minus1", []int{1}, []int64{-1})},
	}
	node := func(op string, in []string, out string, attrs ...*ir.Attr) {
		g.Nodes = append(g.Nodes, &ir.Node{Name: out, OpType: op, Inputs: in, Outputs: []string{out}, Attrs: attrs})
	}
	node("Conv", []string{"x", "w"}, "c", ints("pads", 1, 1, 1, 1), ints("strides", 2, 2))
	node("Shape", []string{"c"}, "s")
	node("Gather", []string{"s", "zero"}, "n", intAttr("axis", 0))
	node("Unsqueeze", []string{"n"}, "n1", ints("axes", 0))
	node("Concat", []string{"n1", "minus1"}, "target", intAttr("axis", 0))
	node("Reshape", []string{"c", "target"}, "y")
	return &ir.Model{OpsetImports: []ir.OpsetImport{{Version: 11}}, Graph: g}
}

// TestInferSymbolicBatch: shape arithmetic on a symbolic batch keeps the
// batch symbolic and folds the rest: the flatten is [N, 64].
func TestInferSymbolicBatch(t *testing.T) {
	res, err := Infer(flattenModel(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ir.FormatDims(res.Values["c"].Shape); got != "[N 4 4 4]" {
		t.Errorf("conv output %s", got)
	}
	if got := fmtElems(res.Values["target"].Dims); got != "[N -1]" {
		t.Errorf("reshape target contents %s", got)
	}
	if got := ir.FormatDims(res.Values["y"].Shape); got != "[N 64]" {
		t.Errorf("flatten %s", got)
	}
	res, err = Infer(flattenModel(), Options{Inputs: map[string][]ir.Dim{"x": Dims([]int{2, 3, 8, 8})}})
	if err != nil {
		t.Fatal(err)
	}
	if tgt := res.Values["target"].Const; tgt == nil || fmtInts(tgt) != "[2 -1]" {
		t.Errorf("with a fixed batch the target is not a constant [2 -1]: %+v", res.Values["target"])
	}
}

func fmtInts(t *ir.Tensor) string {
	v, _ := t.Int64s()
	return fmt.Sprint(v)
}

// fmtElems prints contents: known values (even negative) and symbols.
func fmtElems(d []ir.Dim) string {
	parts := make([]string, len(d))
	for i, x := range d {
		parts[i] = x.Param
		if x.Param == "" {
			parts[i] = fmt.Sprint(x.Size)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestInferAbsurdSizes: a Conv whose pads make a huge output is an error
// naming the node, not an allocation.
func TestInferAbsurdSizes(t *testing.T) {
	m := flattenModel()
	m.Graph.Nodes[0].Attrs[0] = ints("pads", 12496, 12496, 12496, 12496)
	m.Graph.Inputs[0].Shape[0] = ir.Dim{Size: 64}
	_, err := Infer(m, Options{})
	if err == nil || !contains(err.Error(), `"c" (Conv)`, "more than") {
		t.Fatalf("got %v", err)
	}
}

func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !stringsContains(s, p) {
			return false
		}
	}
	return true
}

func stringsContains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
