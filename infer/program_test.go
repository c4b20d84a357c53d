package infer_test

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"gorgonia.org/tensor"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/ir"
)

func compile(t testing.TB, m *ir.Model) *infer.Program {
	t.Helper()
	p, err := infer.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func run1(t testing.TB, p *infer.Program, x *ir.Tensor) *ir.Tensor {
	t.Helper()
	out, err := p.Run(map[string]*ir.Tensor{"input": x})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 {
		t.Fatalf("got %d outputs, want 1", len(out))
	}
	for _, v := range out {
		return v
	}
	return nil
}

// TestDynamicBatch runs a ResNet whose flatten is PyTorch's Shape/Gather/
// Unsqueeze/Concat/Reshape chain at batch 3 and checks each row against the
// same sample run alone, at an opset with Unsqueeze axes as attribute and as
// input.
func TestDynamicBatch(t *testing.T) {
	for _, opset := range []int64{11, 13, 17} {
		t.Run(fmt.Sprint("opset", opset), func(t *testing.T) {
			p := compile(t, resnet(opset, 4, 1, 10))
			x := randomInput(7, 3, 3, 32, 32)
			all := run1(t, p, x)
			if fmt.Sprint(all.Shape) != "[3 10]" {
				t.Fatalf("batch output shape %v, want [3 10]", all.Shape)
			}
			per := 3 * 32 * 32
			for i := range 3 {
				xi := ir.NewFloat32("input", []int{1, 3, 32, 32}, x.Data.([]float32)[i*per:(i+1)*per])
				one := run1(t, p, xi)
				assertClose(t, one.Data.([]float32), all.Data.([]float32)[i*10:(i+1)*10], 1e-5)
			}
		})
	}
}

func assertClose(t *testing.T, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); !(d <= tol*(1+math.Abs(float64(want[i])))) {
			t.Fatalf("element %d: got %g, want %g", i, got[i], want[i])
		}
	}
}

// TestInferShapesMatchesRun checks every inferred output shape against the
// shape a real run produces, at a batch size the model does not declare.
func TestInferShapesMatchesRun(t *testing.T) {
	m := resnet(13, 4, 1, 10)
	shapes, err := infer.InferShapes(m, map[string][]int{"input": {5, 3, 32, 32}})
	if err != nil {
		t.Fatal(err)
	}
	out := run1(t, compile(t, m), randomInput(1, 5, 3, 32, 32))
	name := m.Graph.Outputs[0].Name
	if fmt.Sprint(shapes[name]) != fmt.Sprint(out.Shape) {
		t.Errorf("inferred %v for %s, run gave %v", shapes[name], name, out.Shape)
	}
	for _, n := range m.Graph.Nodes {
		if _, ok := shapes[n.Outputs[0]]; !ok {
			t.Errorf("no shape for %s (%s)", n.Outputs[0], n.OpType)
		}
	}
	if _, err := infer.InferShapes(m, map[string][]int{"input": {5, 4, 32, 32}}); err == nil {
		t.Error("4 channels for a 3-channel model: want an error")
	}
}

// TestRunDense checks the gorgonia boundary against Run.
func TestRunDense(t *testing.T) {
	p := compile(t, resnet(13, 4, 1, 10))
	x := randomInput(3, 2, 3, 32, 32)
	want := run1(t, p, x)
	d := tensor.New(tensor.WithShape(2, 3, 32, 32), tensor.WithBacking(append([]float32(nil), x.Data.([]float32)...)))
	out, err := p.RunDense(map[string]*tensor.Dense{"input": d})
	if err != nil {
		t.Fatal(err)
	}
	got := out[p.Outputs()[0]]
	if fmt.Sprint(got.Shape()) != "(2, 10)" {
		t.Fatalf("shape %v, want (2, 10)", got.Shape())
	}
	assertClose(t, got.Data().([]float32), want.Data.([]float32), 0)
	if _, err := p.RunDense(map[string]*tensor.Dense{"input": tensor.New(tensor.WithShape(2), tensor.WithBacking([]uint16{1, 2}))}); err == nil {
		t.Error("uint16 Dense input: want an error")
	}
}

// TestConcurrentRuns shares one Program between goroutines.
func TestConcurrentRuns(t *testing.T) {
	p := compile(t, resnet(13, 4, 1, 10))
	x := randomInput(5, 2, 3, 32, 32)
	want := run1(t, p, x)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := p.Run(map[string]*ir.Tensor{"input": x})
			if err == nil && fmt.Sprint(out[p.Outputs()[0]].Data) != fmt.Sprint(want.Data) {
				err = fmt.Errorf("run %d differs", i)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
