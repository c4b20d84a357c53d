package infer_test

import (
	"math"
	"testing"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/npy"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
)

// TestInt8ActivationsCloseToFloat runs a packed ResNet-20 with float and
// with int8 activations: the outputs differ (the int8 path ran) but stay
// within a few percent of the logits' range.
func TestInt8ActivationsCloseToFloat(t *testing.T) {
	m, err := onnx.ReadFile("../testdata/models/resnet20_cifar_op17.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convert.Binarize(m, convert.Options{KeepFloat: []string{"first"}}); err != nil {
		t.Fatal(err)
	}
	bnn, err := pack.Pack(m)
	if err != nil {
		t.Fatal(err)
	}
	a, err := npy.ReadFile("../testdata/models/resnet20_cifar_op17.input.npy")
	if err != nil {
		t.Fatal(err)
	}
	x := ir.NewFloat32("input", a.Shape, a.Data.([]float32))
	run := func(opts infer.Options) []float32 {
		p, err := infer.CompileWith(bnn, opts)
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Run(map[string]*ir.Tensor{"input": x})
		if err != nil {
			t.Fatal(err)
		}
		return out["logits"].Data.([]float32)
	}
	f, q := run(infer.Options{}), run(infer.Options{Int8Activations: true})
	var span, worst float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range f {
		lo, hi = math.Min(lo, float64(f[i])), math.Max(hi, float64(f[i]))
		worst = math.Max(worst, math.Abs(float64(f[i]-q[i])))
	}
	span = hi - lo
	if worst == 0 {
		t.Fatal("int8 outputs equal the float ones exactly: the int8 path did not run")
	}
	if worst > 0.05*span {
		t.Errorf("int8 logits differ by %.4g, more than 5%% of the logit range %.4g", worst, span)
	}
	t.Logf("max |float - int8| = %.4g over a logit range of %.4g", worst, span)
}
