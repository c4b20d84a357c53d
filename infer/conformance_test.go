package infer_test

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/reftest"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
	"github.com/bincompress/bincompress/onnx"
)

var update = flag.Bool("update", false, "rewrite testdata/conformance_skips.txt")

// onnxTestData is where Debian's libonnx-testdata puts ONNX's backend tests.
const onnxTestData = reftest.ONNXTestData

const skipsGolden = "testdata/conformance_skips.txt"

// TestConformance runs every ONNX backend case whose ops we implement and
// compares all outputs (floats: rtol 1e-3, atol 1e-5; integers exactly).
// Cases we cannot run are listed with their reason in a golden file, so a
// pass turning into a skip fails the test until -update accepts it.
func TestConformance(t *testing.T) {
	reftest.NeedONNXTestData(t)
	var skips, details, failures []string
	passed := map[string]int{}
	passing := map[string]bool{}
	for _, suite := range []string{"node", "pytorch-converted", "pytorch-operator"} {
		dirs, err := filepath.Glob(filepath.Join(onnxTestData, suite, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, dir := range dirs {
			name := suite + "/" + filepath.Base(dir)
			reason, err := runCase(dir)
			switch {
			case err != nil:
				failures = append(failures, name+": "+err.Error())
			case reason != "":
				short, _, _ := strings.Cut(reason, " | ")
				skips = append(skips, name+": "+short)
				details = append(details, name+": "+reason)
			default:
				passed[suite]++
				passing[name] = true
			}
		}
	}
	for _, f := range failures {
		t.Error(f)
	}
	for _, name := range mustPass {
		if !passing[name] {
			t.Errorf("%s must pass: a ResNet depends on it", name)
		}
	}
	sort.Strings(skips)
	sort.Strings(details)
	t.Logf("conformance: passed %v, failed %d, skipped %d:\n%s", passed, len(failures), len(skips), strings.Join(details, "\n"))
	reftest.CheckGolden(t, skipsGolden, strings.Join(skips, "\n")+"\n", *update)
}

// mustPass are node tests of the ops every ResNet uses.
var mustPass = []string{
	"node/test_basic_conv_with_padding", "node/test_conv_with_strides_padding",
	"node/test_conv_with_autopad_same", "node/test_conv_with_strides_and_asymmetric_padding",
	"node/test_batchnorm_example", "node/test_batchnorm_epsilon", "node/test_relu",
	"node/test_maxpool_2d_pads", "node/test_maxpool_2d_ceil", "node/test_maxpool_2d_dilations",
	"node/test_averagepool_2d_pads_count_include_pad", "node/test_averagepool_2d_ceil",
	"node/test_add_bcast", "node/test_gemm_all_attributes", "node/test_gemm_default_vector_bias",
	"node/test_matmul_4d", "node/test_flatten_axis1", "node/test_reshape_negative_dim",
	"node/test_softmax_axis_1", "node/test_logsoftmax_axis_1", "node/test_reduce_mean_keepdims_random",
	"node/test_unsqueeze_two_axes", "node/test_concat_2d_axis_1", "node/test_gather_0", "node/test_shape",
	"node/test_transpose_all_permutations_3", "node/test_reflect_pad", "node/test_edge_pad",
	"node/test_clip", "node/test_sigmoid", "node/test_leakyrelu", "node/test_sum_example",
}

// runCase returns a skip reason, an error for a wrong result, or neither
// when every data set matched.
func runCase(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return "", err
	}
	m, err := onnx.Decode(data)
	if err != nil {
		return "model: " + readerReason(err), nil
	}
	p, err := infer.Compile(m)
	var uerr *schema.UnsupportedOpError
	if errors.As(err, &uerr) {
		return fmt.Sprintf("unsupported op %s at opset %d", uerr.Op, uerr.Opset), nil
	}
	if err != nil {
		return "", err
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		return "no test data sets", nil
	}
	for _, set := range sets {
		if reason, err := runSet(p, m, set); reason != "" || err != nil {
			return reason, err
		}
	}
	return "", nil
}

func runSet(p *infer.Program, m *ir.Model, set string) (string, error) {
	inputs := map[string]*ir.Tensor{}
	for i, v := range m.Graph.DataInputs() {
		t, err := readTensor(filepath.Join(set, fmt.Sprintf("input_%d.pb", i)))
		if err != nil {
			return fmt.Sprintf("input %d: %s", i, readerReason(err)), nil
		}
		if !fitsDims(t.Shape, v.Shape) {
			return fmt.Sprintf("input %d: test data shape %v disagrees with the declared shape", i, t.Shape), nil
		}
		inputs[v.Name] = bfloat16Quirk(t, v.DType)
	}
	got, err := p.Run(inputs)
	if errors.Is(err, infer.ErrUnsupported) {
		return err.Error(), nil
	}
	if err != nil {
		return "", err
	}
	for i, v := range m.Graph.Outputs {
		want, err := readTensor(filepath.Join(set, fmt.Sprintf("output_%d.pb", i)))
		if err != nil {
			return fmt.Sprintf("output %d: %s", i, readerReason(err)), nil
		}
		if g := got[v.Name]; g != nil {
			want = bfloat16Quirk(want, g.DType)
		}
		if err := compare(got[v.Name], want); err != nil {
			return "", fmt.Errorf("%s output %q: %w", filepath.Base(set), v.Name, err)
		}
	}
	return "", nil
}

// fitsDims reports whether shape matches the declared dims.
func fitsDims(shape []int, dims []ir.Dim) bool {
	if dims == nil {
		return true
	}
	if len(shape) != len(dims) {
		return false
	}
	for i, d := range dims {
		if d.Known() && int64(shape[i]) != d.Size {
			return false
		}
	}
	return true
}

// bfloat16Quirk retypes a uint16 tensor as bfloat16 where bfloat16 is
// expected: ONNX's older test data stores bfloat16 values as UINT16.
func bfloat16Quirk(t *ir.Tensor, want ir.DType) *ir.Tensor {
	if t.DType == ir.Uint16 && want == ir.BFloat16 {
		t.DType = ir.BFloat16
	}
	return t
}

// readerReason names the kind of an onnx reader error by its sentinel, so
// that the golden skip list does not depend on the reader's wording; the
// full message goes to the test log only.
func readerReason(err error) string {
	return readerKind(err) + " | " + err.Error()
}

func readerKind(err error) string {
	kinds := []struct {
		err  error
		name string
	}{
		{onnx.ErrUnsupported, "unsupported by the onnx reader"},
		{onnx.ErrNotONNX, "not readable protobuf"},
		{onnx.ErrShape, "bad tensor dimensions"},
		{onnx.ErrData, "bad tensor data"},
	}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "onnx reader error"
}

func readTensor(path string) (*ir.Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return onnx.DecodeTensor(data)
}

// compare checks dtype and shape exactly, floats within ONNX's backend
// tolerance and everything else exactly.
func compare(got, want *ir.Tensor) error {
	if got == nil {
		return errors.New("missing")
	}
	if got.DType != want.DType || fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
		return fmt.Errorf("got %v%v, want %v%v", got.DType, got.Shape, want.DType, want.Shape)
	}
	switch want.DType {
	case ir.Float32, ir.Float64, ir.Float16, ir.BFloat16:
		g, err1 := got.Float32s()
		w, err2 := want.Float32s()
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		return closeAll(g, w, 1e-3, 1e-5)
	}
	g, err1 := got.Int64s()
	w, err2 := want.Int64s()
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	for i := range w {
		if g[i] != w[i] {
			return fmt.Errorf("element %d: got %d, want %d", i, g[i], w[i])
		}
	}
	return nil
}

func closeAll(got, want []float32, rtol, atol float64) error {
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(w) && math.IsNaN(g) || g == w {
			continue
		}
		if !(math.Abs(g-w) <= atol+rtol*math.Abs(w)) {
			return fmt.Errorf("element %d: got %g, want %g", i, g, w)
		}
	}
	return nil
}
