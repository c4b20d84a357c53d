package convert

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/ir"
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
		lay, _ := ir.LayoutOf(n, w.Shape) // Select checked that it has one
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

// firstNonFinite is the index of the first NaN or ±Inf, or -1.
func firstNonFinite(xs []float32) int {
	for i, x := range xs {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return i
		}
	}
	return -1
}
