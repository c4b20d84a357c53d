package export

import (
	"github.com/bincompress/bincompress/ir"
)

// QONNXDomain is the operator set of QONNX's quantizers.
const QONNXDomain = "qonnx.custom_op.general"

// QONNX returns m as a QONNX model: each binary layer becomes the Conv,
// Gemm or MatMul+Add of ONNX(m) whose weight is the output of a QONNX
// BipolarQuant node,
//
//	W = BipolarQuant(X, scale) = scale · (X ≥ 0 ? +1 : −1)
//
// with X the layer's ±1 signs (float32, the weight's shape) and scale its
// per-output-channel multiplier shaped to broadcast ([K,1,1,1] for a Conv,
// [K,1] for a Gemm, [1,K] for a MatMul). The model imports QONNXDomain at
// version 1, as QONNX's tools write it. W equals ONNX(m)'s weight exactly.
func QONNX(m *ir.Model) (*ir.Model, error) {
	u, sites, err := unpacked(m)
	if err != nil {
		return nil, err
	}
	g := u.Graph
	used := valueNames(g)
	var pre []*ir.Node
	for _, s := range sites {
		w := s.weight
		removeInitializer(g, w.Name)
		b := &subgraph{g: g, used: used, base: w.Name}
		x := b.init(ir.NewFloat32(w.Name+"_float", w.Shape, s.signs()))
		scale := b.init(ir.NewFloat32(w.Name+"_scale", s.scaleShape(), scaleData(s)))
		b.nodes = append(b.nodes, &ir.Node{Name: b.fresh("quant"), OpType: "BipolarQuant", Domain: QONNXDomain,
			Inputs: []string{x, scale}, Outputs: []string{w.Name}})
		pre = append(pre, b.nodes...)
	}
	g.Nodes = append(pre, g.Nodes...)
	if u.Opset(QONNXDomain) == 0 {
		u.OpsetImports = append(u.OpsetImports, ir.OpsetImport{Domain: QONNXDomain, Version: 1})
	}
	return u, nil
}
