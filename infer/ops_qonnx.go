package infer

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
)

// qonnxDomain is the operator set of QONNX's quantizers
// (github.com/fastmachinelearning/qonnx, docs/qonnx-custom-ops), which
// package export writes for FINN. QONNX does not version its ops; files
// import the domain at version 1.
const qonnxDomain = "qonnx.custom_op.general"

// qonnxOps holds the QONNX ops this executor runs. The export engineer owns
// this file; see doc.go for the opDef contract.
var qonnxOps = map[string]opDef{
	"BipolarQuant": {since: 1, until: 1, minIn: 2, run: opBipolarQuant},
}

// opBipolarQuant is QONNX's 1-bit quantizer: Y = scale · (X ≥ 0 ? +1 : −1),
// scale broadcasting against X as in numpy (a scalar or per-channel tensor).
// A NaN in X is not ≥ 0 and gives −scale, as the reference's np.where does.
func opBipolarQuant(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := floats(in[0], "X")
	if err != nil {
		return nil, err
	}
	if in[1].DType != ir.Float32 {
		return nil, fmt.Errorf("scale is %v, want float32", in[1].DType)
	}
	signs, s, err := c.f32(clone(in[0].Shape))
	if err != nil {
		return nil, err
	}
	if !c.shapeOnly {
		for i, v := range x {
			if v >= 0 {
				s[i] = 1
			} else {
				s[i] = -1
			}
		}
	}
	y, err := binary(c, signs, in[1], binMul)
	if err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}
