package export

import (
	"testing"

	"github.com/bincompress/bincompress/ir/schema"
)

// TestCTable holds the C target's op table to the op layer's list of the
// ops the C export implements, in both directions.
func TestCTable(t *testing.T) {
	if err := schema.CompareTable(schema.CExport, schema.TableNames(cOps)); err != nil {
		t.Error(err)
	}
}

// TestIRv3DeclaresInitializers: models of IR version 3 must list every
// initializer among the graph inputs (onnxruntime refuses them otherwise),
// including those the exports add.
func TestIRv3DeclaresInitializers(t *testing.T) {
	bnn := synthBNN(t, 9, 3)
	bnn.IRVersion = 3
	for _, f := range []string{"onnx", "onnx-packed", "qonnx"} {
		m, err := Model(bnn, f)
		if err != nil {
			t.Fatal(err)
		}
		inputs := map[string]bool{}
		for _, v := range m.Graph.Inputs {
			inputs[v.Name] = true
		}
		for _, init := range m.Graph.Initializers {
			if !inputs[init.Name] {
				t.Errorf("%s: initializer %q is not a graph input", f, init.Name)
			}
		}
	}
}
