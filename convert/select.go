package convert

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
)

// Select records every Conv, Gemm and MatMul node of the default domain as
// a layer, marked for binarization when its weight is a constant float32
// tensor that only it reads, and otherwise with the reason it stays float.
// Node names are made unique first (nameNodes) so that records can refer
// to layers.
func Select() Pass { return passFunc{"select", runSelect} }

func runSelect(s *State) error {
	g := s.Model.Graph
	resolveConstInputs(g)
	nameNodes(g)
	inits := g.InitializerMap()
	uses := useCounts(g)
	s.Layers = nil
	for _, n := range g.Nodes {
		if !isLayerOp(n) {
			continue
		}
		rec := ir.LayerRecord{Node: n.Name, Op: n.OpType, Weight: n.Input(1)}
		w := inits[rec.Weight]
		if w != nil {
			rec.Shape = append([]int{}, w.Shape...)
		}
		why, err := notBinarizable(s.Model, n, w, inits, uses)
		if err != nil {
			return err
		}
		if why != "" {
			rec.Reason = why
		} else {
			lay, err := layoutOf(s.Model, n, w)
			if err != nil {
				return err
			}
			rec.Binarized, rec.Scale = true, s.Opts.Scale
			rec.FloatBytes, rec.BinaryBytes = lay.FloatBytes(), lay.BinaryBytes()
		}
		s.Layers = append(s.Layers, rec)
	}
	return nil
}

// nameNodes names each unnamed layer and renames each repeat of a node
// name (ONNX's checker and onnxruntime accept repeats; the first keeps its
// name): the layer records, the packer, the trainer and --keep-float find
// layers by name. This is the one place node names are made unique.
func nameNodes(g *ir.Graph) {
	used := g.Names()
	seen := map[string]bool{}
	for i, n := range g.Nodes {
		switch {
		case n.Name == "" && isLayerOp(n):
			n.Name = ir.UniqueName(used, fmt.Sprintf("%s_%d", n.OpType, i))
		case n.Name != "" && seen[n.Name]:
			n.Name = ir.UniqueName(used, n.Name)
		}
		seen[n.Name] = true
	}
}

// resolveConstInputs points the weight and bias inputs of layers that
// reach an initializer through Identity nodes (PyTorch's exporter shares
// equal initializers that way) at the initializer itself.
func resolveConstInputs(g *ir.Graph) {
	changed := false
	for _, n := range g.Nodes {
		if !isLayerOp(n) {
			continue
		}
		for i := 1; i < len(n.Inputs) && i <= 2; i++ {
			if in := n.Inputs[i]; in != "" && g.Initializer(in) == nil {
				if t := constant(g, in); t != nil {
					n.Inputs[i], changed = t.Name, true
				}
			}
		}
	}
	if changed {
		removeDeadIdentities(g)
	}
}

func isLayerOp(n *ir.Node) bool {
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return false
	}
	return n.OpType == "Conv" || n.OpType == "Gemm" || n.OpType == "MatMul"
}

// notBinarizable returns why node n with weight w cannot be binarized, or "".
func notBinarizable(m *ir.Model, n *ir.Node, w *ir.Tensor, inits map[string]*ir.Tensor, uses map[string]int) (string, error) {
	switch {
	case w == nil:
		return "weight is not a constant initializer", nil
	case w.DType != ir.Float32:
		return fmt.Sprintf("weight is %v, not float32", w.DType), nil
	case w.Validate() != nil:
		return "weight data does not match its shape", nil
	case uses[w.Name] > 1:
		return fmt.Sprintf("weight is shared by %d nodes", uses[w.Name]), nil
	case ir.NumElements(w.Shape) == 0:
		return "weight is empty", nil
	}
	switch n.OpType {
	case "Conv":
		if len(w.Shape) != 4 {
			return fmt.Sprintf("only 2-D convolutions are binarizable (weight rank %d)", len(w.Shape)), nil
		}
	case "MatMul":
		if len(w.Shape) != 2 {
			return fmt.Sprintf("MatMul weight has rank %d, not 2", len(w.Shape)), nil
		}
	case "Gemm":
		trans, err := transB(m, n)
		return gemmProblem(n, w, trans, inits), err
	}
	return "", nil
}

// gemmProblem checks that a Gemm's bias C is absent or a constant that is
// one value per output (shape [], [1], [N] or [1, N]).
func gemmProblem(n *ir.Node, w *ir.Tensor, transB bool, inits map[string]*ir.Tensor) string {
	if len(w.Shape) != 2 {
		return fmt.Sprintf("Gemm weight has rank %d, not 2", len(w.Shape))
	}
	c := n.Input(2)
	if c == "" {
		return ""
	}
	ct := inits[c]
	if ct == nil || ct.DType != ir.Float32 || ct.Validate() != nil {
		return "Gemm bias C is not a constant float32 tensor"
	}
	nOut := w.Shape[1] // N: B is [K, N], or [N, K] with transB
	if transB {
		nOut = w.Shape[0]
	}
	if _, ok := perOutput(ct, nOut); !ok {
		return fmt.Sprintf("Gemm bias C of shape %v is not one value per output (%d)", ct.Shape, nOut)
	}
	return ""
}

// perOutput expands a bias broadcastable to [1, nOut] along the output axis
// into nOut values.
func perOutput(c *ir.Tensor, nOut int) ([]float32, bool) {
	data := c.Data.([]float32)
	sh := c.Shape
	for len(sh) > 1 && sh[0] == 1 {
		sh = sh[1:]
	}
	if len(sh) > 1 {
		return nil, false
	}
	out := make([]float32, nOut)
	switch {
	case len(data) == 1:
		for i := range out {
			out[i] = data[0]
		}
	case len(data) == nOut:
		copy(out, data)
	default:
		return nil, false
	}
	return out, true
}

// useCounts counts how many node inputs read each value.
func useCounts(g *ir.Graph) map[string]int {
	m := map[string]int{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" {
				m[in]++
			}
		}
	}
	return m
}
