package infer

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
)

// qonnxOps holds the ops of QONNX's quantizers
// (github.com/fastmachinelearning/qonnx, docs/qonnx-custom-ops,
// schema.QONNXDomain) that this executor runs; package export writes them
// for FINN.
var qonnxOps = map[string]opFunc{
	"BipolarQuant": opBipolarQuant,
}

// opBipolarQuant is QONNX's 1-bit quantizer: Y = scale · (X ≥ 0 ? +1 : −1),
// scale broadcasting against X as in numpy (a scalar or per-channel tensor).
// A NaN in X is not ≥ 0 and gives −scale, as the reference's np.where does.
func opBipolarQuant(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
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
	for i, v := range x {
		if v >= 0 {
			s[i] = 1
		} else {
			s[i] = -1
		}
	}
	y, err := binary(c, signs, in[1], binMul)
	if err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}
