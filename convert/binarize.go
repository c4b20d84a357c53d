package convert

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/internal/bits"
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
		v, err := weightView(s.Model, n, w)
		if err != nil {
			return err
		}
		if i := firstNonFinite(v.data); i >= 0 {
			return fmt.Errorf("node %q: weight %q holds %v at index %d; a weight must be finite to binarize",
				n.Name, w.Name, v.data[i], i)
		}
		scales := rowScales(v, ScaleMode(l.Scale))
		out := make([]float32, len(v.data))
		for r := range v.rows {
			for j := range v.cols {
				k := v.at(r, j)
				out[k] = scales[r] * bits.Sign(v.data[k])
			}
		}
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

// rowView addresses a layer's weight as [rows, cols]: one row per output
// channel over the fan-in. A Gemm with transB = 0 and a MatMul hold the
// weight as [fan_in, outputs], so their rows are columns (colMajor).
type rowView struct {
	data       []float32
	rows, cols int
	colMajor   bool
}

func (v rowView) at(r, j int) int {
	if v.colMajor {
		return j*v.rows + r
	}
	return r*v.cols + j
}

func weightView(m *ir.Model, n *ir.Node, w *ir.Tensor) (rowView, error) {
	data := w.Data.([]float32)
	if n.OpType == "Conv" {
		return rowView{data: data, rows: w.Shape[0], cols: ir.NumElements(w.Shape[1:])}, nil
	}
	if trans, err := transB(m, n); err != nil || trans {
		return rowView{data: data, rows: w.Shape[0], cols: w.Shape[1]}, err
	}
	return rowView{data: data, rows: w.Shape[1], cols: w.Shape[0], colMajor: true}, nil
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

// rowScales is s for each output channel under the scale mode.
func rowScales(v rowView, mode ScaleMode) []float32 {
	return bits.RowScales(v.data, v.rows, v.cols, v.at, string(mode))
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
