package infer

import (
	"testing"

	"github.com/bincompress/bincompress/ir"
)

// TestProfileMatchesRun: profiling changes nothing in the outputs and times
// every node.
func TestProfileMatchesRun(t *testing.T) {
	m := &ir.Model{OpsetImports: []ir.OpsetImport{{Version: 13}}, Graph: &ir.Graph{
		Inputs:       []*ir.ValueInfo{{Name: "x", DType: ir.Float32, Shape: []ir.Dim{{Size: 2}, {Size: 3}}}},
		Initializers: []*ir.Tensor{ir.NewFloat32("b", []int{3}, []float32{1, -2, 3})},
		Nodes: []*ir.Node{
			{Name: "add", OpType: "Add", Inputs: []string{"x", "b"}, Outputs: []string{"s"}},
			{Name: "relu", OpType: "Relu", Inputs: []string{"s"}, Outputs: []string{"y"}},
		},
		Outputs: []*ir.ValueInfo{{Name: "y", DType: ir.Float32}},
	}}
	p, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	x := ir.NewFloat32("x", []int{2, 3}, []float32{0, 1, -5, 2, 3, 4})
	want, err := p.Run(map[string]*ir.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	got, times, err := p.Profile(map[string]*ir.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	w, g := want["y"].Data.([]float32), got["y"].Data.([]float32)
	for i := range w {
		if w[i] != g[i] {
			t.Fatalf("profiled output %v differs from %v", g, w)
		}
	}
	if len(times) != 2 || times[0].Node != "add" || times[1].Op != "Relu" {
		t.Errorf("times %+v", times)
	}
}
