package infer_test

import (
	"errors"
	"os"
	"testing"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// fuzzMaxElements is the element limit the fuzzer runs under: 4 MiB of
// float32 per tensor, so a mutated model can make no run allocate much.
const fuzzMaxElements = 1 << 20

// FuzzCompileRun decodes mutated model bytes, compiles what decodes and runs
// it once on a zero batch under the element limit: any input may be
// refused, nothing may panic or allocate past the limit, and a model that
// passes CheckShapes must not then fail Run for size. Seeds: the tiny
// Fashion-MNIST ResNet, a .bnn-free conv net, and the two models whose
// shapes explode. Run with a small -fuzzminimizetime so minimizing does
// not eat the budget, e.g.
//
//	go test ./infer -run '^$' -fuzz FuzzCompileRun -fuzztime 3m -fuzzminimizetime 5s
func FuzzCompileRun(f *testing.F) {
	if b, err := os.ReadFile("../testdata/models/fmnist_tiny.onnx"); err == nil {
		f.Add(b)
	}
	conv := newBuilder(13, 3)
	x := conv.input("x", 2, 6, 6)
	conv.output(conv.node("Relu", []string{conv.convBN(x, 2, 3, 3, 1)}))
	models := []*ir.Model{conv.m}
	for _, m := range hugePadModels() {
		models = append(models, m)
	}
	for _, m := range models {
		b, err := onnx.Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := onnx.Decode(data)
		if err != nil {
			return
		}
		prog, err := infer.CompileWith(m, infer.Options{MaxElements: fuzzMaxElements})
		if err != nil {
			return
		}
		_, checkErr := prog.CheckShapes(1)
		checked := checkErr == nil
		inputs, ok := zeroBatch(m)
		if !ok {
			return
		}
		if _, err := prog.Run(inputs); checked && errors.Is(err, infer.ErrTooLarge) {
			t.Fatalf("CheckShapes(1) passed but Run hit the limit: %v", err)
		}
	})
}

// zeroBatch is one zero image per data input of fixed shape (an unknown
// leading dimension taken as 1); false when an input's shape is unknown or
// larger than the fuzz limit.
func zeroBatch(m *ir.Model) (map[string]*ir.Tensor, bool) {
	out := map[string]*ir.Tensor{}
	for _, in := range m.Graph.DataInputs() {
		if in.Shape == nil || in.DType != ir.Float32 {
			return nil, false
		}
		shape := make([]int, len(in.Shape))
		n := 1
		for i, d := range in.Shape {
			switch {
			case d.Known():
				shape[i] = int(d.Size)
			case i == 0:
				shape[i] = 1
			default:
				return nil, false
			}
			if shape[i] > fuzzMaxElements || n*max(shape[i], 1) > fuzzMaxElements {
				return nil, false
			}
			n *= max(shape[i], 1)
		}
		out[in.Name] = ir.NewFloat32(in.Name, shape, make([]float32, ir.NumElements(shape)))
	}
	return out, true
}
