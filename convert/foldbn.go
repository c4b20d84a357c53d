package convert

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// FoldBatchNorm folds a BatchNormalization that directly and solely
// consumes a binarized Conv or Gemm into that layer. With
// a = scale/sqrt(var + epsilon) per channel, row k of the weight becomes
// a_k·W_k (still ±m_k, now m_k = a_k·s_k) and the bias becomes
// a_k·(b_k − mean_k) + B_k. The BatchNormalization node disappears and
// the layer writes its output name.
func FoldBatchNorm() Pass { return passFunc{"fold-bn", runFoldBN} }

func runFoldBN(s *State) error {
	g := s.Model.Graph
	for i := range s.Layers {
		l := &s.Layers[i]
		if !l.Binarized || l.Op == "MatMul" {
			continue
		}
		n, w, err := layerNodeWeight(g, *l)
		if err != nil {
			return err
		}
		bn, err := foldableBN(s.Model, n)
		if err != nil {
			return err
		}
		if bn == nil {
			continue
		}
		if err := foldInto(s.Model, n, w, bn); err != nil {
			return fmt.Errorf("node %q: %w", bn.Name, err)
		}
		l.FoldedBN = bn.Name
	}
	return nil
}

// foldableBN returns the BatchNormalization that is the only reader of n's
// output, in inference mode, with constant parameters; nil if there is none.
func foldableBN(m *ir.Model, n *ir.Node) (*ir.Node, error) {
	g := m.Graph
	out := n.Outputs[0]
	for _, o := range g.Outputs {
		if o.Name == out {
			return nil, nil
		}
	}
	readers := g.Consumers()[out]
	if len(readers) != 1 {
		return nil, nil
	}
	bn := readers[0]
	if bn.OpType != "BatchNormalization" || (bn.Domain != "" && bn.Domain != "ai.onnx") ||
		len(bn.Inputs) != 5 || bn.Inputs[0] != out {
		return nil, nil
	}
	a, err := schema.AttrsOf[schema.BatchNormalization](m, bn)
	if err != nil || a.TrainingMode {
		return nil, err
	}
	for _, o := range bn.Outputs[1:] {
		if o != "" && len(g.Consumers()[o]) > 0 {
			return nil, nil
		}
	}
	for _, in := range bn.Inputs[1:] {
		if t := constant(g, in); t == nil || t.DType != ir.Float32 || t.Validate() != nil {
			return nil, nil
		}
	}
	return bn, nil
}

// foldInto rewrites layer n (weight w) to absorb bn and removes bn.
func foldInto(m *ir.Model, n *ir.Node, w *ir.Tensor, bn *ir.Node) error {
	g := m.Graph
	v, err := weightView(m, n, w)
	if err != nil {
		return err
	}
	a, err := schema.AttrsOf[schema.BatchNormalization](m, bn)
	if err != nil {
		return err
	}
	p := make([][]float32, 4) // scale, B, mean, var
	for i := range p {
		p[i] = constant(g, bn.Inputs[i+1]).Data.([]float32)
		if len(p[i]) != v.rows {
			return fmt.Errorf("parameter %q has %d values for %d channels", bn.Inputs[i+1], len(p[i]), v.rows)
		}
	}
	bias, err := layerBias(m, n, v.rows)
	if err != nil {
		return err
	}
	eps := float64(a.Epsilon)
	out := make([]float32, len(v.data))
	for r := range v.rows {
		if vr := float64(p[3][r]) + eps; !(vr > 0) || math.IsInf(vr, 0) {
			return fmt.Errorf("variance %q of channel %d is %v (epsilon %v): a variance must be positive and finite", bn.Inputs[4], r, p[3][r], float32(eps))
		}
		a := float64(p[0][r]) / math.Sqrt(float64(p[3][r])+eps)
		for j := range v.cols {
			k := v.at(r, j)
			out[k] = float32(float64(v.data[k]) * a)
		}
		bias[r] = float32(a*(float64(bias[r])-float64(p[2][r])) + float64(p[1][r]))
	}
	w.Data = out
	setLayerBias(g, n, bias)
	n.Outputs[0] = bn.Outputs[0]
	removeNode(g, bn)
	removeDeadIdentities(g)
	return nil
}

// constant returns the initializer behind name, following Identity nodes
// (PyTorch's exporter shares equal initializers through them), or nil.
func constant(g *ir.Graph, name string) *ir.Tensor {
	producers := g.Producers()
	for range len(g.Nodes) + 1 {
		if t := g.Initializer(name); t != nil {
			return t
		}
		p := producers[name]
		if p == nil || p.OpType != "Identity" || len(p.Inputs) != 1 {
			return nil
		}
		name = p.Inputs[0]
	}
	return nil
}

// removeDeadIdentities deletes Identity nodes whose output nobody reads (and
// the initializers only they read), until none is left.
func removeDeadIdentities(g *ir.Graph) {
	for {
		readers := g.Consumers()
		outputs := map[string]bool{}
		for _, o := range g.Outputs {
			outputs[o.Name] = true
		}
		var dead *ir.Node
		for _, n := range g.Nodes {
			if n.OpType == "Identity" && len(n.Outputs) == 1 && len(readers[n.Outputs[0]]) == 0 && !outputs[n.Outputs[0]] {
				dead = n
				break
			}
		}
		if dead == nil {
			return
		}
		removeNode(g, dead)
	}
}

// layerBias returns a fresh copy of the layer's per-output bias (Conv B,
// Gemm β·C), zeros when absent.
func layerBias(m *ir.Model, n *ir.Node, rows int) ([]float32, error) {
	g := m.Graph
	name := n.Input(2)
	if name == "" {
		return make([]float32, rows), nil
	}
	t := g.Initializer(name)
	if t == nil || t.DType != ir.Float32 {
		return nil, fmt.Errorf("bias %q of %q is not a float32 initializer", name, n.Name)
	}
	b, ok := perOutput(t, rows)
	if !ok {
		return nil, fmt.Errorf("bias %q of %q has shape %v for %d outputs", name, n.Name, t.Shape, rows)
	}
	if n.OpType == "Gemm" {
		a, err := schema.AttrsOf[schema.Gemm](m, n)
		if err != nil {
			return nil, err
		}
		for i := range b {
			b[i] *= a.Beta
		}
	}
	return b, nil
}

// setLayerBias installs bias as a new initializer for n (a Gemm gets β = 1).
func setLayerBias(g *ir.Graph, n *ir.Node, bias []float32) {
	old := n.Input(2)
	name := ir.UniqueName(g.Names(), n.Name+"_bias")
	g.Initializers = append(g.Initializers, ir.NewFloat32(name, []int{len(bias)}, bias))
	for len(n.Inputs) < 3 {
		n.Inputs = append(n.Inputs, "")
	}
	n.Inputs[2] = name
	if n.OpType == "Gemm" {
		n.SetAttr(&ir.Attr{Name: "beta", Type: ir.AttrFloat, F: 1})
	}
	if old != "" {
		g.DropUnusedInitializer(old)
	}
}

// removeNode deletes n and the initializers only it read.
func removeNode(g *ir.Graph, n *ir.Node) {
	for i, m := range g.Nodes {
		if m == n {
			g.Nodes = append(g.Nodes[:i], g.Nodes[i+1:]...)
			break
		}
	}
	for _, in := range n.Inputs {
		if in != "" {
			g.DropUnusedInitializer(in)
		}
	}
}

func deleteWhere[T any](s []T, drop func(T) bool) []T {
	out := s[:0]
	for _, x := range s {
		if !drop(x) {
			out = append(out, x)
		}
	}
	return out
}
