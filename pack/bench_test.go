package pack

import (
	"testing"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// benchModels returns the binarized float graph of a testdata model and its
// .bnn form.
func benchModels(b *testing.B, name string) (float, packed *ir.Model) {
	m, err := onnx.ReadFile("../testdata/models/" + name + ".onnx")
	if err != nil {
		b.Skip(err)
	}
	if _, err := convert.Binarize(m, convert.Options{}); err != nil {
		b.Fatal(err)
	}
	p, err := Pack(m)
	if err != nil {
		b.Fatal(err)
	}
	return m, p
}

func benchRun(b *testing.B, m *ir.Model, shape ...int) {
	p, err := infer.Compile(m)
	if err != nil {
		b.Fatal(err)
	}
	x := randomInput(1, shape...)
	in := map[string]*ir.Tensor{p.Inputs()[0]: x}
	b.ResetTimer()
	for range b.N {
		if _, err := p.Run(in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*shape[0])/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkResNet18W16 runs the binarized ResNet-18 (base width 16) at
// batch 1 from its bits (Packed) and as the float graph with ±s weights
// (Float), on the same executor.
func BenchmarkResNet18W16(b *testing.B) {
	f, p := benchModels(b, "resnet18_w16_op13")
	b.Run("Float", func(b *testing.B) { benchRun(b, f, 1, 3, 224, 224) })
	b.Run("Packed", func(b *testing.B) { benchRun(b, p, 1, 3, 224, 224) })
}
