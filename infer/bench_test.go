package infer_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// BenchmarkResNet20 runs a CIFAR ResNet-20 (width 16, 3x3 blocks per stage)
// on 32x32 images; allocs/op and B/op show how much the buffer pool saves.
func BenchmarkResNet20(b *testing.B) {
	p := compile(b, resnet(13, 16, 3, 10))
	for _, batch := range []int{1, 32} {
		b.Run(fmt.Sprint("batch", batch), func(b *testing.B) {
			in := map[string]*ir.Tensor{"input": randomInput(1, batch, 3, 32, 32)}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Run(in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkExports runs the PyTorch-exported ResNets of testdata/models at
// batch 1 (ResNet-18 and ResNet-50 topologies at reduced width, 224x224).
func BenchmarkExports(b *testing.B) {
	for _, name := range []string{"resnet18_w16_op13", "resnet50_w8_op17"} {
		path := "../testdata/models/" + name + ".onnx"
		if _, err := os.Stat(path); err != nil {
			continue
		}
		b.Run(name, func(b *testing.B) {
			m, err := onnx.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			p := compile(b, m)
			in := map[string]*ir.Tensor{m.Graph.DataInputs()[0].Name: randomInput(1, 1, 3, 224, 224)}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Run(in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
