package ir

import "testing"

func TestCloneIsDeep(t *testing.T) {
	w := NewFloat32("w", []int{2}, []float32{1, -1})
	m := &Model{Graph: &Graph{
		Inputs:       []*ValueInfo{{Name: "x", DType: Float32, Shape: []Dim{{Param: "N"}, {Size: 2}}}},
		Initializers: []*Tensor{w},
		Nodes: []*Node{{Name: "mul", OpType: "Mul", Inputs: []string{"x", "w"}, Outputs: []string{"y"},
			Attrs: []*Attr{{Name: "a", Type: AttrInts, Ints: []int64{1, 2}}}}},
		Outputs: []*ValueInfo{{Name: "y", DType: Float32}},
	}}
	c := m.Clone()
	c.Graph.Initializers[0].Data.([]float32)[0] = 5
	c.Graph.Nodes[0].Inputs[1] = "other"
	c.Graph.Nodes[0].Attrs[0].Ints[0] = 9
	c.Graph.Inputs[0].Shape[1].Size = 3
	c.SetMetadata("k", "v")
	if w.Data.([]float32)[0] != 1 || m.Graph.Nodes[0].Inputs[1] != "w" || m.Graph.Nodes[0].Attrs[0].Ints[0] != 1 ||
		m.Graph.Inputs[0].Shape[1].Size != 2 || len(m.Metadata) != 0 {
		t.Fatal("changing the clone changed the original")
	}
}

// CloneSharingData copies everything but the initializers' data: a graph
// rewrite of the copy (untying, renaming) leaves the original alone, while
// the weights are the same memory.
func TestCloneSharingData(t *testing.T) {
	w := NewFloat32("w", []int{2}, []float32{1, -1})
	m := &Model{Graph: &Graph{
		Inputs:       []*ValueInfo{{Name: "x", DType: Float32, Shape: []Dim{{Param: "N"}, {Size: 2}}}},
		Initializers: []*Tensor{w},
		Nodes:        []*Node{{Name: "mul", OpType: "Mul", Inputs: []string{"x", "w"}, Outputs: []string{"y"}}},
		Outputs:      []*ValueInfo{{Name: "y", DType: Float32}},
	}}
	c := m.CloneSharingData()
	c.Graph.Nodes[0].Inputs[1] = "other"
	c.Graph.Initializers[0].Name = "renamed"
	c.Graph.Initializers[0].Shape[0] = 3
	c.Graph.Initializers = append(c.Graph.Initializers, NewFloat32("v", []int{1}, []float32{2}))
	c.SetMetadata("k", "v")
	if m.Graph.Nodes[0].Inputs[1] != "w" || w.Name != "w" || w.Shape[0] != 2 || len(m.Graph.Initializers) != 1 || len(m.Metadata) != 0 {
		t.Fatal("changing the copy's graph changed the original")
	}
	if &c.Graph.Initializers[0].Data.([]float32)[0] != &w.Data.([]float32)[0] {
		t.Error("the copy's weights are not the original's memory")
	}
}
