package convert

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// BinarizeWeights replaces the weight of every layer marked for
// binarization by s·sign(W), with s from the scale mode (see package doc).
func BinarizeWeights() Pass { return passFunc{"binarize", runBinarize} }

func runBinarize(s *State) error {
	g := s.Model.Graph
	for _, l := range s.Layers {
		if !l.Binarized {
			continue
		}
		n, w, err := layerNodeWeight(g, l)
		if err != nil {
			return err
		}
		data := w.Data.([]float32)
		if i := firstNonFinite(data); i >= 0 {
			return fmt.Errorf("node %q: weight %q holds %v at index %d; a weight must be finite to binarize",
				n.Name, w.Name, data[i], i)
		}
		lay, err := layoutOf(s.Model, n, w)
		if err != nil {
			return err
		}
		out := make([]float32, len(data))
		l.Scale.Binarize(out, data, lay)
		w.Data = out
	}
	return nil
}

// layerNodeWeight finds a record's node and weight initializer.
func layerNodeWeight(g *ir.Graph, l ir.LayerRecord) (*ir.Node, *ir.Tensor, error) {
	for _, n := range g.Nodes {
		if n.Name == l.Node {
			w := g.Initializer(n.Input(1))
			if w == nil || w.DType != ir.Float32 {
				return nil, nil, fmt.Errorf("node %q: weight %q is not a float32 initializer", n.Name, n.Input(1))
			}
			return n, w, nil
		}
	}
	return nil, nil, fmt.Errorf("layer %q: no node of that name", l.Node)
}

// layoutOf is the layout of layer n's weight w; Select checked that it has
// one.
func layoutOf(m *ir.Model, n *ir.Node, w *ir.Tensor) (ir.WeightLayout, error) {
	tb, err := transB(m, n)
	if err != nil {
		return ir.WeightLayout{}, err
	}
	l, ok := ir.LayoutOf(n.OpType, tb, w.Shape)
	if !ok {
		return l, fmt.Errorf("node %q: weight %q of shape %v is not a conv or dense weight", n.Name, w.Name, w.Shape)
	}
	return l, nil
}

// transB reports whether a dense layer holds its weight as [outputs,
// fan_in]: a Gemm with transB = 1 (read through the op layer).
func transB(m *ir.Model, n *ir.Node) (bool, error) {
	if n.OpType != "Gemm" {
		return false, nil
	}
	a, err := schema.AttrsOf[schema.Gemm](m, n)
	if err != nil {
		return false, err
	}
	return a.TransB, nil
}

// firstNonFinite is the index of the first NaN or ±Inf, or -1.
func firstNonFinite(xs []float32) int {
	for i, x := range xs {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return i
		}
	}
	return -1
}
