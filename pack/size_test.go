package pack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// TestSizes binarizes every conv and the classifier of the ResNets in
// testdata/models (and of the models listed in $BNN_SIZE_MODELS, colon
// separated, e.g. full-width torchvision exports) and logs the .bnn size
// against the fp32 ONNX by part. Models named in $BNN_SIZE_MODELS must be
// at most 1/28 of their source.
func TestSizes(t *testing.T) {
	paths, _ := filepath.Glob("../testdata/models/resnet*.onnx")
	var gated []string
	if env := os.Getenv("BNN_SIZE_MODELS"); env != "" {
		gated = strings.Split(env, ":")
	}
	for _, path := range append(paths, gated...) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := onnx.Decode(src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := convert.Binarize(m, convert.Options{}); err != nil {
			t.Fatal(err)
		}
		p := mustPack(t, m)
		out, err := onnx.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		s := Measure(p)
		ratio := float64(len(src)) / float64(len(out))
		t.Logf("%s: onnx %d B, bnn %d B (1/%.2f): bits %d, mult+bias %d, float weights %d, other float %d, protobuf+metadata %d",
			filepath.Base(path), len(src), len(out), ratio, s.PackedBits, s.MultBias, s.FloatWeights, s.OtherFloat,
			int64(len(out))-s.Tensors())
		if !strings.HasPrefix(path, "../testdata/") && ratio < 28 {
			t.Errorf("%s: .bnn is 1/%.2f of the source, want at most 1/28", path, ratio)
		}
	}
}

// TestParameters: a binary layer's weights count one each, K rows of
// fan-in (the weight shape its layer record keeps), not one per uint64
// word of W_bits; every other initializer counts its elements. The mixed
// model's rows of 54, 140, 9, 65 and 7 bits are no multiple of 64.
func TestParameters(t *testing.T) {
	m := mustPack(t, mixedModel())
	var want int64
	for _, init := range m.Graph.Initializers {
		want += int64(ir.NumElements(init.Shape))
	}
	for _, n := range m.Graph.Nodes {
		if n.Domain == Domain {
			want -= int64(ir.NumElements(m.Graph.Initializer(n.Inputs[1]).Shape))
		}
	}
	recs, err := m.LayerRecords()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Binarized {
			want += int64(ir.NumElements(r.Shape))
		}
	}
	if got, err := Parameters(m); err != nil || got != want {
		t.Errorf("Parameters = %d, %v; want %d", got, err, want)
	}
}
