package onnx

import (
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx/internal/onnxpb"
)

// attr converts an AttributeProto; sparse-tensor and type-proto attributes
// have no IR form and are rejected.
func (d *decoder) attr(p *onnxpb.AttributeProto) (*ir.Attr, error) {
	a := &ir.Attr{
		Name:        p.Name,
		DocString:   p.DocString,
		Type:        ir.AttrType(p.Type),
		RefAttrName: p.RefAttrName,
	}
	err := d.attrValue(a, p)
	if err != nil {
		return nil, withAttr(err, p.Name)
	}
	return a, nil
}

func (d *decoder) attrValue(a *ir.Attr, p *onnxpb.AttributeProto) error {
	var err error
	switch p.Type {
	case onnxpb.AttributeProto_FLOAT:
		a.F = p.F
	case onnxpb.AttributeProto_INT:
		a.I = p.I
	case onnxpb.AttributeProto_STRING:
		a.S = p.S
	case onnxpb.AttributeProto_FLOATS:
		a.Floats = p.Floats
	case onnxpb.AttributeProto_INTS:
		a.Ints = p.Ints
	case onnxpb.AttributeProto_STRINGS:
		a.Strings = p.Strings
	case onnxpb.AttributeProto_TENSOR:
		a.T, err = d.attrTensor(p)
	case onnxpb.AttributeProto_TENSORS:
		a.Tensors, err = mapErr(p.Tensors, d.tensor)
	case onnxpb.AttributeProto_GRAPH:
		a.G, err = d.attrGraph(p)
	case onnxpb.AttributeProto_GRAPHS:
		a.Graphs, err = mapErr(p.Graphs, d.graph)
	case onnxpb.AttributeProto_UNDEFINED:
		err = errorf(ErrUnsupported, "attribute has no type")
	default:
		err = errorf(ErrUnsupported, "attribute kind %v is not supported", p.Type)
	}
	return err
}

// attrTensor decodes the tensor of a TENSOR attribute; only a reference to
// a function attribute may omit it.
func (d *decoder) attrTensor(p *onnxpb.AttributeProto) (*ir.Tensor, error) {
	if p.T == nil {
		if p.RefAttrName != "" {
			return nil, nil
		}
		return nil, errorf(ErrData, "tensor attribute holds no tensor")
	}
	return d.tensor(p.T)
}

// attrGraph decodes the subgraph of a GRAPH attribute (If, Loop, Scan).
func (d *decoder) attrGraph(p *onnxpb.AttributeProto) (*ir.Graph, error) {
	if p.G == nil {
		if p.RefAttrName != "" {
			return nil, nil
		}
		return nil, errorf(ErrData, "graph attribute holds no graph")
	}
	return d.graph(p.G)
}

// mapErr applies f to each element, stopping at the first error.
func mapErr[S, D any](src []S, f func(S) (D, error)) ([]D, error) {
	if len(src) == 0 {
		return nil, nil
	}
	out := make([]D, len(src))
	for i, s := range src {
		var err error
		if out[i], err = f(s); err != nil {
			return nil, err
		}
	}
	return out, nil
}
