package convert

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
)

// EstimateBytes is the tensor bytes of the .bnn that plan gives m: m's
// initializers after the plan's BatchNormalizations are folded (on a copy),
// with each binarized layer's weight and bias counted as its packed rows,
// multiplier and bias (ir.WeightLayout.BinaryBytes). The file adds its
// protobuf framing, names and metadata, the same for every plan of a model,
// so the ratio of two estimates is close to the ratio of the files.
func EstimateBytes(m *ir.Model, plan []ir.LayerRecord) (int64, error) {
	s := &State{Model: m.Clone(), Layers: append([]ir.LayerRecord(nil), plan...)}
	if err := runFoldBN(s); err != nil {
		return 0, fmt.Errorf("convert: estimating the size: %w", err)
	}
	g := s.Model.Graph
	binary := map[string]int64{} // weight → packed bytes; bias → 0
	for _, l := range s.Layers {
		if !l.Binarized {
			continue
		}
		n, w, err := layerNodeWeight(g, l)
		if err != nil {
			return 0, fmt.Errorf("convert: estimating the size: %w", err)
		}
		lay, err := layoutOf(s.Model, n, w)
		if err != nil {
			return 0, fmt.Errorf("convert: estimating the size: %w", err)
		}
		binary[w.Name] = lay.BinaryBytes()
		if b := n.Input(2); b != "" {
			binary[b] = 0
		}
	}
	var total int64
	for _, t := range g.Initializers {
		if b, ok := binary[t.Name]; ok {
			total += b
		} else {
			total += int64(t.Len()) * int64(t.DType.Size())
		}
	}
	return total, nil
}
