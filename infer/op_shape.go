package infer

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// opView is every op that only changes how input 0 is viewed (Identity,
// Reshape, Flatten, Squeeze, Unsqueeze): the output shares its data with
// the shape the op layer inferred.
func opView(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return []*ir.Tensor{view(in[0], c.shape(0))}, nil
}

// opDropout is inference-mode Dropout: the input passes through and the
// optional mask is all true. Training mode with a non-zero ratio is random
// and not supported; the op layer decides which is which
// (schema.DropoutModeOf), as it does for Check and the simplifier.
func opDropout(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	vals := make([]schema.Value, len(in))
	for i, t := range in {
		if t != nil {
			vals[i] = schema.Concrete(t)
		}
	}
	if schema.DropoutModeOf(c.node, vals) != schema.DropoutIdentity {
		return nil, unsupported("Dropout in training mode")
	}
	mask, err := c.alloc(c.out[1].DType, c.shape(1))
	if err != nil {
		return nil, err
	}
	setOnes(mask.Data)
	return []*ir.Tensor{view(in[0], c.shape(0)), mask}, nil
}

func setOnes(data any) {
	switch v := data.(type) {
	case []bool:
		for i := range v {
			v[i] = true
		}
	case []float32:
		for i := range v {
			v[i] = 1
		}
	case []float64:
		for i := range v {
			v[i] = 1
		}
	}
}

// opConstant yields the value the op layer read from the attributes.
func opConstant(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	t := attrs[schema.Constant](c).Value
	return []*ir.Tensor{view(t, clone(t.Shape))}, nil
}

// opShape returns the dims (Shape) or the element count (Size) the op
// layer computed: their contents are part of its inference.
func opShape(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	t := c.out[0].Const
	if t == nil {
		return nil, fmt.Errorf("shape of %v is not known", in[0].Shape)
	}
	return []*ir.Tensor{t}, nil
}
