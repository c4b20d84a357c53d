package finetune

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
	"github.com/bincompress/bincompress/onnx"
)

// TestCheckDropsFinalSoftmax: Check accepts a model whose output is a final
// LogSoftmax (the trainer drops it; it has no trainer code), and refuses
// the same op anywhere else, naming it, as schema.Check does.
func TestCheckDropsFinalSoftmax(t *testing.T) {
	m, err := onnx.ReadFile(filepath.Join("..", "testdata", "models", "fmnist_tiny.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(m, 0); err != nil {
		t.Fatalf("the tiny model: %v", err)
	}
	axis := []*ir.Attr{{Name: "axis", Type: ir.AttrInt, I: 1}}
	final := appendNode(m, &ir.Node{Name: "final", OpType: "LogSoftmax", Attrs: axis})
	if err := schema.Check(final, schema.Trainer); err == nil {
		t.Fatal("the op layer's trainer stage should lack LogSoftmax (else this test proves nothing)")
	}
	if err := Check(final, 0); err != nil {
		t.Errorf("a final LogSoftmax: %v", err)
	}
	inner := appendNode(final, &ir.Node{Name: "after", OpType: "Relu"}) // LogSoftmax is no longer final
	var u *schema.UnsupportedOpError
	if err := Check(inner, 0); !errors.As(err, &u) || u.Op != "LogSoftmax" || u.Stage != schema.Trainer {
		t.Errorf("a LogSoftmax before a Relu: got %v, want the trainer's unsupported-op error", err)
	}
}

// appendNode is m with node n after its output, which becomes the new
// output (keeping the old one's type and shape).
func appendNode(m *ir.Model, n *ir.Node) *ir.Model {
	g := *m.Graph
	out := *g.Outputs[0]
	n.Inputs, n.Outputs = []string{out.Name}, []string{n.Name + "_out"}
	g.Nodes = append(slices.Clone(g.Nodes), n)
	out.Name = n.Name + "_out"
	g.Outputs = []*ir.ValueInfo{&out}
	c := *m
	c.Graph = &g
	return &c
}
