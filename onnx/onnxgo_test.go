package onnx

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	onnxgo "github.com/owulveryck/onnx-go"
	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/simple"
	"gorgonia.org/tensor"

	"github.com/bincompress/bincompress/ir"
)

// onnx-go (github.com/owulveryck/onnx-go) is an independent second decoder:
// it parses the protobuf with its own bindings and hands the graph to a
// backend. goBackend records what it is given.

type goBackend struct {
	*simple.WeightedDirectedGraph
	ops []string
}

type goNode struct {
	id   int64
	name string
	t    tensor.Tensor
}

func (n *goNode) ID() int64                       { return n.id }
func (n *goNode) SetName(s string)                { n.name = s }
func (n *goNode) GetName() string                 { return n.name }
func (n *goNode) SetTensor(t tensor.Tensor) error { n.t = t; return nil }
func (n *goNode) GetTensor() tensor.Tensor        { return n.t }

func (b *goBackend) NewNode() graph.Node {
	return &goNode{id: b.WeightedDirectedGraph.NewNode().ID()}
}

func (b *goBackend) ApplyOperation(op onnxgo.Operation, _ ...graph.Node) error {
	b.ops = append(b.ops, op.Name)
	return nil
}

// decodeWithOnnxGo runs onnx-go on data, turning its panics into errors.
func decodeWithOnnxGo(data []byte) (b *goBackend, m *onnxgo.Model, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("onnx-go panicked: %v", r)
		}
	}()
	b = &goBackend{WeightedDirectedGraph: simple.NewWeightedDirectedGraph(0, math.Inf(1))}
	m = onnxgo.NewModel(b)
	return b, m, m.UnmarshalBinary(data)
}

// TestAgreesWithOnnxGo decodes every testdata model (and the ONNX backend
// test models when installed) with both decoders and compares node count,
// op types and initializer values. Models onnx-go cannot decode are listed
// with its reason; the test fails if it compares none.
func TestAgreesWithOnnxGo(t *testing.T) {
	paths := testdataModels(t)
	paths = append(paths, backendTestModels(t, 200)...)
	checked := 0
	for _, path := range paths {
		reason, err := compareWithOnnxGo(path)
		switch {
		case err != nil:
			t.Errorf("%s: %v", modelName(path), err)
		case reason != "":
			t.Logf("not compared: %s: %s", modelName(path), reason)
		default:
			checked++
		}
	}
	t.Logf("compared %d of %d models with onnx-go", checked, len(paths))
	if checked == 0 {
		t.Fatal("onnx-go decoded none of the models, so nothing was compared")
	}
}

// compareWithOnnxGo returns a reason when the model cannot be compared, or
// an error when the decoders disagree.
func compareWithOnnxGo(path string) (reason string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	ours, err := Decode(data)
	if errors.Is(err, ErrExternal) {
		return "external data, which onnx-go cannot resolve", nil
	}
	if errors.Is(err, ErrUnsupported) {
		return "our reader: " + err.Error(), nil
	}
	if err != nil {
		return "", err
	}
	b, m, err := decodeWithOnnxGo(data)
	if err != nil {
		return "onnx-go: " + err.Error(), nil
	}
	if err := compareOps(ours.Graph, b.ops); err != nil {
		return "", err
	}
	return "", compareInitializers(ours.Graph, m)
}

func compareOps(g *ir.Graph, ops []string) error {
	if len(g.Nodes) != len(ops) {
		return fmt.Errorf("%d nodes, onnx-go %d", len(g.Nodes), len(ops))
	}
	for i, n := range g.Nodes {
		if n.OpType != ops[i] {
			return fmt.Errorf("node %d is %s, onnx-go %s", i, n.OpType, ops[i])
		}
	}
	return nil
}

// compareInitializers checks every float32, float64, int32 and int64
// initializer element-wise (floats by bits) against onnx-go's tensor.
func compareInitializers(g *ir.Graph, m *onnxgo.Model) error {
	for _, t := range g.Initializers {
		n, ok := m.GetNodeByName(t.Name)
		if !ok {
			return fmt.Errorf("initializer %q unknown to onnx-go", t.Name)
		}
		gt := n.(*goNode).t
		if gt == nil {
			return fmt.Errorf("initializer %q has no value in onnx-go", t.Name)
		}
		if err := compareData(t, gt.Data()); err != nil {
			return fmt.Errorf("initializer %q: %w", t.Name, err)
		}
	}
	return nil
}

func compareData(t *ir.Tensor, theirs any) error {
	switch ours := t.Data.(type) {
	case []float32:
		return equalElems(ours, asSlice[float32](theirs), func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) })
	case []float64:
		return equalElems(ours, asSlice[float64](theirs), func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) })
	case []int64:
		return equalElems(ours, asSlice[int64](theirs), func(a, b int64) bool { return a == b })
	case []int32:
		return equalElems(ours, asSlice[int32](theirs), func(a, b int32) bool { return a == b })
	}
	return nil // onnx-go's support of the other types is too partial to compare
}

// asSlice accepts gorgonia's scalar form (a bare value) as a one-element slice.
func asSlice[T any](v any) []T {
	switch x := v.(type) {
	case []T:
		return x
	case T:
		return []T{x}
	}
	return nil
}

func equalElems[T any](ours, theirs []T, eq func(a, b T) bool) error {
	if len(ours) != len(theirs) {
		return fmt.Errorf("%d elements, onnx-go %d", len(ours), len(theirs))
	}
	for i := range ours {
		if !eq(ours[i], theirs[i]) {
			return fmt.Errorf("element %d is %v, onnx-go %v", i, ours[i], theirs[i])
		}
	}
	return nil
}

// backendTestModels lists up to limit model.onnx files of ONNX's own backend
// tests (Debian libonnx-testdata), or none when the package is absent.
func backendTestModels(t *testing.T, limit int) []string {
	paths, _ := filepath.Glob("/usr/share/libonnx-testdata/data/*/*/model.onnx")
	if len(paths) == 0 {
		t.Log("libonnx-testdata not installed; comparing testdata models only")
	}
	if len(paths) > limit {
		step := len(paths) / limit
		var picked []string
		for i := 0; i < len(paths); i += step {
			picked = append(picked, paths[i])
		}
		paths = picked
	}
	return paths
}
