package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	onnxgo "github.com/owulveryck/onnx-go"

	"github.com/bincompress/bincompress/ir"
)

const backendTestData = "/usr/share/libonnx-testdata/data"

// TestBackendTestModels reads every model of ONNX's backend tests (Debian
// libonnx-testdata): each must decode and round-trip, or be refused as
// unsupported (an opset or feature outside this reader's range), never as
// corrupt.
func TestBackendTestModels(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(backendTestData, "*", "*", "model.onnx"))
	if len(paths) == 0 {
		t.Skip("libonnx-testdata not installed (apt-get install libonnx-testdata)")
	}
	decoded, unsupported := 0, 0
	for _, path := range paths {
		m, err := ReadFile(path)
		switch {
		case errors.Is(err, ErrUnsupported):
			unsupported++
			continue
		case err != nil:
			t.Errorf("%v", err)
			continue
		}
		decoded++
		t.Run(filepath.Base(filepath.Dir(path)), func(t *testing.T) { checkRoundTrip(t, m) })
	}
	t.Logf("%d models decoded and round-tripped, %d refused as unsupported", decoded, unsupported)
	if decoded == 0 {
		t.Fatal("no backend test model decoded")
	}
}

// TestBackendTestTensors decodes the input_*.pb and output_*.pb files of
// every backend test whose model decodes and whose value there is a tensor,
// checks that EncodeTensor round-trips each, and compares numeric values
// with onnx-go's independent tensor decoder where it handles the type.
func TestBackendTestTensors(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(backendTestData, "*", "*"))
	if len(dirs) == 0 {
		t.Skip("libonnx-testdata not installed (apt-get install libonnx-testdata)")
	}
	decoded, compared := 0, 0
	for _, dir := range dirs {
		m, err := ReadFile(filepath.Join(dir, "model.onnx"))
		if err != nil {
			continue // TestBackendTestModels judges the models
		}
		files := append(tensorFiles(dir, "input", m.Graph.DataInputs()), tensorFiles(dir, "output", m.Graph.Outputs)...)
		for _, path := range files {
			d, c := checkTensorFile(t, path)
			decoded, compared = decoded+d, compared+c
		}
	}
	t.Logf("%d tensor files decoded and round-tripped, %d compared with onnx-go", decoded, compared)
	if compared == 0 {
		t.Fatal("no tensor compared with onnx-go")
	}
}

// tensorFiles lists dir/test_data_set_*/<kind>_<i>.pb for the values that
// are tensors (sequence and optional values have no element type here).
func tensorFiles(dir, kind string, values []*ir.ValueInfo) []string {
	var out []string
	for i, v := range values {
		if v.DType == ir.Undefined {
			continue
		}
		matches, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*", fmt.Sprintf("%s_%d.pb", kind, i)))
		out = append(out, matches...)
	}
	return out
}

// checkTensorFile decodes one tensor file; it returns 1s for decoded and
// compared-with-onnx-go.
func checkTensorFile(t *testing.T, path string) (decoded, compared int) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := DecodeTensor(data)
	if errors.Is(err, ErrUnsupported) {
		return 0, 0
	}
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return 0, 0
	}
	enc, err := EncodeTensor(ours)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	back, err := DecodeTensor(enc)
	if err != nil {
		t.Fatalf("%s: re-decode: %v", path, err)
	}
	if d := diffTensors(ours, back); d != "" {
		t.Errorf("%s: tensor round trip: %s", path, d)
	}
	theirs, err := decodeTensorWithOnnxGo(data)
	if err != nil {
		return 1, 0
	}
	if err := compareData(ours, theirs); err != nil {
		t.Errorf("%s: onnx-go disagrees: %v", path, err)
	}
	return 1, 1
}

func decodeTensorWithOnnxGo(data []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("onnx-go panicked: %v", r)
		}
	}()
	t, err := onnxgo.NewTensor(data)
	if err != nil {
		return nil, err
	}
	return t.Data(), nil
}
