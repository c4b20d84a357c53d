package infer_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// TestTorchExports runs the PyTorch-exported ResNets in testdata/models on
// their saved inputs and compares with the outputs PyTorch computed
// (testdata/scripts/export_models.py) within 1e-4 absolute.
func TestTorchExports(t *testing.T) {
	models, _ := filepath.Glob("../testdata/models/*.onnx")
	if len(models) == 0 {
		t.Skip("no models in testdata/models")
	}
	for _, path := range models {
		base := strings.TrimSuffix(path, ".onnx")
		if _, err := os.Stat(base + ".torch_output.npy"); err != nil {
			continue
		}
		t.Run(filepath.Base(base), func(t *testing.T) {
			if testing.Short() && strings.Contains(base, "resnet50") {
				t.Skip("-short")
			}
			m, err := onnx.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			x, err := readNpy(base + ".input.npy")
			if err != nil {
				t.Fatal(err)
			}
			want, err := readNpy(base + ".torch_output.npy")
			if err != nil {
				t.Fatal(err)
			}
			out, err := compile(t, m).Run(map[string]*ir.Tensor{m.Graph.DataInputs()[0].Name: x})
			if err != nil {
				t.Fatal(err)
			}
			got := out[m.Graph.Outputs[0].Name]
			if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
				t.Fatalf("shape %v, torch %v", got.Shape, want.Shape)
			}
			worst := 0.0
			for i, w := range want.Data.([]float32) {
				worst = max(worst, math.Abs(float64(got.Data.([]float32)[i]-w)))
			}
			t.Logf("max |ours - torch| = %.3g", worst)
			if !(worst <= 1e-4) {
				t.Errorf("max abs difference %.3g > 1e-4", worst)
			}
		})
	}
}

var npyShape = regexp.MustCompile(`'shape': \(([0-9, ]*)\)`)

// readNpy reads a little-endian float32 C-order .npy file (format 1.0).
func readNpy(path string) (*ir.Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) < 10 || string(data[1:6]) != "NUMPY" || data[6] != 1 {
		return nil, fmt.Errorf("%s: not a version 1 .npy file", path)
	}
	hlen := int(binary.LittleEndian.Uint16(data[8:10]))
	if len(data) < 10+hlen {
		return nil, fmt.Errorf("%s: truncated header", path)
	}
	header := string(data[10 : 10+hlen])
	m := npyShape.FindStringSubmatch(header)
	if !strings.Contains(header, "'<f4'") || !strings.Contains(header, "'fortran_order': False") || m == nil {
		return nil, fmt.Errorf("%s: want C-order float32, header %q", path, header)
	}
	var shape []int
	for _, f := range strings.Split(m[1], ",") {
		if f = strings.TrimSpace(f); f != "" {
			d, err := strconv.Atoi(f)
			if err != nil {
				return nil, err
			}
			shape = append(shape, d)
		}
	}
	body := data[10+hlen:]
	vals := make([]float32, len(body)/4)
	if len(vals) != ir.NumElements(shape) {
		return nil, fmt.Errorf("%s: %d values for shape %v", path, len(vals), shape)
	}
	for i := range vals {
		vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return ir.NewFloat32("", shape, vals), nil
}
