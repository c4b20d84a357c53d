package infer_test

import (
	"os"
	"testing"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// TestBuffersRecycled checks that a ResNet run holds only its live
// activations: the pool allocates a small multiple of the largest
// activation, far less than the sum of all intermediate values.
func TestBuffersRecycled(t *testing.T) {
	m := resnet(13, 8, 3, 10)
	shapes, err := infer.InferShapes(m, map[string][]int{"input": {2, 3, 32, 32}})
	if err != nil {
		t.Fatal(err)
	}
	total, largest := 0, 0
	for _, n := range m.Graph.Nodes {
		if n.OpType == "Shape" || n.OpType == "Gather" || n.OpType == "Unsqueeze" || n.OpType == "Concat" || n.OpType == "Constant" {
			continue
		}
		size := ir.NumElements(shapes[n.Outputs[0]])
		total += size
		largest = max(largest, size)
	}
	fresh, err := infer.FreshFloats(compile(t, m), map[string]*ir.Tensor{"input": randomInput(1, 2, 3, 32, 32)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fresh %d floats, largest activation %d, all intermediates %d", fresh, largest, total)
	if fresh > 4*largest || fresh*5 > total {
		t.Errorf("pool allocated %d floats; want <= 4x the largest activation (%d) and < 20%% of all intermediates (%d)", fresh, largest, total)
	}
}

// TestResNet50Memory checks the recycling on the exported ResNet-50
// topology (bottleneck blocks) from testdata/models.
func TestResNet50Memory(t *testing.T) {
	const path = "../testdata/models/resnet50_w8_op17.onnx"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no ResNet-50 export: %v", err)
	}
	m, err := onnx.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	name := m.Graph.DataInputs()[0].Name
	shapes, err := infer.InferShapes(m, map[string][]int{name: {1, 3, 224, 224}})
	if err != nil {
		t.Fatal(err)
	}
	total, largest := 0, 0
	for _, n := range m.Graph.Nodes {
		size := ir.NumElements(shapes[n.Outputs[0]])
		total += size
		largest = max(largest, size)
	}
	fresh, err := infer.FreshFloats(compile(t, m), map[string]*ir.Tensor{name: randomInput(1, 1, 3, 224, 224)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fresh %d floats, largest activation %d, all intermediates %d", fresh, largest, total)
	if fresh > 4*largest || fresh*5 > total {
		t.Errorf("pool allocated %d floats; want <= 4x the largest activation (%d) and < 20%% of all intermediates (%d)", fresh, largest, total)
	}
}
