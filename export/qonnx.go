package export

import (
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// QONNXDomain is the operator set of QONNX's quantizers.
const QONNXDomain = schema.QONNXDomain

// QONNX returns m as a QONNX model for FINN. Each binary layer's weight is
// the output of a QONNX BipolarQuant node,
//
//	W = BipolarQuant(X, scale) = scale · (X ≥ 0 ? +1 : −1)
//
// with X the layer's ±1 signs (float32) and scale its per-output-channel
// multiplier shaped to broadcast against W. The layers take the form FINN's
// FoldQuantWeights expects when it moves a non-unit scale behind the layer:
// a binary Conv has no bias input (scale [K,1,1,1]; the bias follows as an
// Add of a [K,1,1] tensor), and a binary dense layer is MatMul (weight
// [in, out], scale [1, out]) followed by an Add of the bias; only a Gemm with
// transA stays a Gemm. The model imports QONNXDomain at version 1, as
// QONNX's tools write it. W equals ONNX(m)'s weight bit for bit.
func QONNX(m *ir.Model) (*ir.Model, error) {
	u, sites, err := unpacked(m)
	if err != nil {
		return nil, err
	}
	g := u.Graph
	used := g.Names()
	consumers := g.Consumers()
	var pre []*ir.Node
	for i := range sites {
		s := &sites[i]
		node := consumers[s.weight.Name][0]
		b := &subgraph{g: g, used: used, base: s.weight.Name}
		if err := splitBias(u, b, s, node); err != nil {
			return nil, err
		}
		w := s.weight
		removeInitializer(g, w.Name)
		x := b.init(ir.NewFloat32(w.Name+"_float", s.weightShape(), s.signs()))
		scale := b.init(ir.NewFloat32(w.Name+"_scale", s.scaleShape(), scaleData(*s)))
		pre = append(pre, &ir.Node{Name: b.fresh("quant"), OpType: "BipolarQuant", Domain: QONNXDomain,
			Inputs: []string{x, scale}, Outputs: []string{w.Name}})
	}
	g.Nodes = append(pre, g.Nodes...)
	if u.Opset(QONNXDomain) == 0 {
		u.OpsetImports = append(u.OpsetImports, ir.OpsetImport{Domain: QONNXDomain, Version: 1})
	}
	return declareInitializers(u), nil
}

// splitBias rewrites a binary Conv or Gemm (transA = 0) of the unpacked
// model u as a bias-free Conv or a MatMul, followed by an Add of the bias,
// inserted right after it.
func splitBias(u *ir.Model, b *subgraph, s *site, n *ir.Node) error {
	if (n.OpType != "Conv" && n.OpType != "Gemm") || n.Input(2) == "" {
		return nil
	}
	if n.OpType == "Gemm" {
		if a, err := schema.AttrsOf[schema.Gemm](u, n); err != nil || a.TransA {
			return err
		}
	}
	bias := b.g.Initializer(n.Input(2))
	shape := []int{s.layer.rows}
	if n.OpType == "Conv" {
		shape = []int{s.layer.rows, 1, 1}
	} else {
		*n = ir.Node{Name: n.Name, OpType: "MatMul", DocString: n.DocString, Inputs: n.Inputs, Outputs: n.Outputs}
		s.transposed = true
	}
	out, mid := n.Outputs[0], b.fresh("out")
	biasName := b.init(ir.NewFloat32(s.weight.Name+"_bias", shape, bias.Data.([]float32)))
	n.Inputs, n.Outputs = n.Inputs[:2], []string{mid}
	removeIfUnused(b.g, bias.Name) // the Add reads the reshaped copy
	add := &ir.Node{Name: b.fresh("bias_add"), OpType: "Add", Inputs: []string{mid, biasName}, Outputs: []string{out}}
	for i, x := range b.g.Nodes {
		if x == n {
			b.g.Nodes = append(b.g.Nodes[:i+1], append([]*ir.Node{add}, b.g.Nodes[i+1:]...)...)
			break
		}
	}
	return nil
}
