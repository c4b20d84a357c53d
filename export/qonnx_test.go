package export

import (
	"errors"
	"fmt"
	"testing"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// TestQONNXRunsLikeBNN runs the QONNX export in our executor: its outputs
// equal the .bnn's (the same float products, so within float rounding of a
// different summation order).
func TestQONNXRunsLikeBNN(t *testing.T) {
	for _, name := range []string{"resnet20_cifar_op11", "resnet18_w8_op11"} {
		if testing.Short() && name != "resnet20_cifar_op11" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			bnn := loadBNN(t, name)
			q, err := QONNX(bnn)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := infer.Compile(q); err != nil {
				var u *schema.UnsupportedOpError
				if errors.As(err, &u) && u.Domain == QONNXDomain {
					t.Skipf("infer does not register domain %s yet (infer/ops_onnx.go's domains needs %q: qonnxOps): %v", QONNXDomain, QONNXDomain, err)
				}
				t.Fatal(err)
			}
			x := loadInput(t, name)
			closeTo(t, "qonnx", runOurs(t, q, x), runOurs(t, bnn, x), 1e-5)
		})
	}
}

// TestQONNXWeightsEqualONNX evaluates every BipolarQuant by its QONNX
// definition, scale · (X ≥ 0 ? +1 : −1) with numpy broadcasting, and checks
// the result equals the float weight of the plain ONNX export bit for bit.
func TestQONNXWeightsEqualONNX(t *testing.T) {
	bnn := loadBNN(t, "resnet20_cifar_op11")
	q, err := QONNX(bnn)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := ONNX(bnn)
	if err != nil {
		t.Fatal(err)
	}
	if q.Opset(QONNXDomain) != 1 {
		t.Errorf("opset of %s is %d, want 1", QONNXDomain, q.Opset(QONNXDomain))
	}
	inits, want := q.Graph.InitializerMap(), plain.Graph.InitializerMap()
	count := 0
	for _, n := range q.Graph.Nodes {
		if n.OpType != "BipolarQuant" {
			continue
		}
		count++
		if n.Domain != QONNXDomain || len(n.Inputs) != 2 {
			t.Fatalf("node %s: domain %q, %d inputs", n.Name, n.Domain, len(n.Inputs))
		}
		x := inits[n.Inputs[0]]
		got := bipolarQuant(t, x, inits[n.Inputs[1]])
		w := want[n.Outputs[0]]
		if w == nil {
			t.Fatalf("node %s: the ONNX export has no weight %q", n.Name, n.Outputs[0])
		}
		wd := w.Data.([]float32)
		if fmt.Sprint(x.Shape) != fmt.Sprint(w.Shape) { // a Gemm weight [out, in] became a MatMul's [in, out]
			wd = transpose(wd, w.Shape[0], w.Shape[1])
		}
		for i, v := range wd {
			if got[i] != v {
				t.Fatalf("node %s: element %d is %v, want %v", n.Name, i, got[i], v)
			}
		}
	}
	if count != 21+1 {
		t.Errorf("%d BipolarQuant nodes, want 22 (21 convs and the classifier)", count)
	}
}

// bipolarQuant is QONNX's reference formula for a scale whose shape is
// [K, 1, ...] or [1, ..., K] (one value per row or column).
func bipolarQuant(t *testing.T, x, scale *ir.Tensor) []float32 {
	xs, ss := x.Data.([]float32), scale.Data.([]float32)
	k := len(ss)
	out := make([]float32, len(xs))
	rowMajor := scale.Shape[0] == k
	for i, v := range xs {
		s := ss[i%k]
		if rowMajor {
			s = ss[i/(len(xs)/k)]
		}
		if v >= 0 {
			out[i] = s
		} else {
			out[i] = -s
		}
	}
	return out
}

func transpose(v []float32, rows, cols int) []float32 {
	out := make([]float32, len(v))
	for r := range rows {
		for c := range cols {
			out[c*rows+r] = v[r*cols+c]
		}
	}
	return out
}

// TestQONNXLayerForm checks the form FINN's FoldQuantWeights needs: each
// BipolarQuant feeds exactly one Conv without bias or one MatMul, and an
// Add of the bias follows.
func TestQONNXLayerForm(t *testing.T) {
	q, err := QONNX(synthBNN(t, 13, 5))
	if err != nil {
		t.Fatal(err)
	}
	consumers := q.Graph.Consumers()
	for _, n := range q.Graph.Nodes {
		if n.OpType != "BipolarQuant" {
			continue
		}
		c := consumers[n.Outputs[0]]
		if len(c) != 1 || (c[0].OpType != "Conv" && c[0].OpType != "MatMul") || c[0].Input(2) != "" {
			t.Errorf("%s feeds %d nodes, the first a %s with %d inputs", n.Name, len(c), c[0].OpType, len(c[0].Inputs))
			continue
		}
		if next := consumers[c[0].Outputs[0]]; len(next) != 1 || next[0].OpType != "Add" {
			t.Errorf("%s (%s) is not followed by the bias Add", c[0].Name, c[0].OpType)
		}
	}
	x := synthInput(5, 2)
	bnn := synthBNN(t, 13, 5)
	closeTo(t, "qonnx", runOurs(t, q, x), runOurs(t, bnn, x), 1e-5)
}
