package export

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bincompress/bincompress/onnx"
)

// TestPackedSizeRatio holds onnx-packed to at most 1/20 of the float
// ResNet-18 it came from (issue 3), encoded as the CLI writes it.
func TestPackedSizeRatio(t *testing.T) {
	const name = "resnet18_w16_op13"
	fi, err := os.Stat(filepath.Join(modelsDir, name+".onnx"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ONNXPacked(loadBNN(t, name))
	if err != nil {
		t.Fatal(err)
	}
	data, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	ratio := float64(fi.Size()) / float64(len(data))
	t.Logf("%s: float %d bytes, onnx-packed %d bytes (1/%.1f)", name, fi.Size(), len(data), ratio)
	if ratio < 20 {
		t.Errorf("onnx-packed is 1/%.1f of the float model, want at most 1/20", ratio)
	}
}
