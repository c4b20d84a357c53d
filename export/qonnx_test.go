package export

import (
	"errors"
	"testing"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/ir"
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
				var u *infer.UnsupportedOpError
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
		got := bipolarQuant(t, inits[n.Inputs[0]], inits[n.Inputs[1]])
		w := want[n.Outputs[0]]
		if w == nil {
			t.Fatalf("node %s: the ONNX export has no weight %q", n.Name, n.Outputs[0])
		}
		for i, v := range w.Data.([]float32) {
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
