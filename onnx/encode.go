package onnx

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx/internal/onnxpb"
)

var marshal = proto.MarshalOptions{Deterministic: true}

// Encode serializes m as an ONNX ModelProto. The same model always gives
// the same bytes. Numeric tensor data is written as raw_data.
func Encode(m *ir.Model) ([]byte, error) {
	p, err := modelToProto(m)
	if err != nil {
		return nil, err
	}
	return marshalProto(p)
}

// EncodeTensor serializes t as an ONNX TensorProto.
func EncodeTensor(t *ir.Tensor) ([]byte, error) {
	p, err := tensorToProto(t)
	if err != nil {
		return nil, err
	}
	return marshalProto(p)
}

func marshalProto(p proto.Message) ([]byte, error) {
	b, err := marshal.Marshal(p)
	if err != nil {
		return nil, &FormatError{Reason: "cannot serialize", Err: err}
	}
	return b, nil
}

func modelToProto(m *ir.Model) (*onnxpb.ModelProto, error) {
	if m == nil {
		return nil, errorf(ErrInvalidModel, "nil model")
	}
	if m.Graph == nil {
		return nil, errorf(ErrNoGraph, "model has no graph")
	}
	g, err := graphToProto(m.Graph)
	if err != nil {
		return nil, err
	}
	return &onnxpb.ModelProto{
		IrVersion:       m.IRVersion,
		OpsetImport:     opsetsToProto(m.OpsetImports),
		ProducerName:    m.ProducerName,
		ProducerVersion: m.ProducerVersion,
		Domain:          m.Domain,
		ModelVersion:    m.ModelVersion,
		DocString:       m.DocString,
		Graph:           g,
		MetadataProps:   keyValuesToProto(m.Metadata),
	}, nil
}

func opsetsToProto(os []ir.OpsetImport) []*onnxpb.OperatorSetIdProto {
	out := make([]*onnxpb.OperatorSetIdProto, len(os))
	for i, o := range os {
		out[i] = &onnxpb.OperatorSetIdProto{Domain: o.Domain, Version: o.Version}
	}
	return out
}

func keyValuesToProto(kvs []ir.KeyValue) []*onnxpb.StringStringEntryProto {
	out := make([]*onnxpb.StringStringEntryProto, len(kvs))
	for i, kv := range kvs {
		out[i] = &onnxpb.StringStringEntryProto{Key: kv.Key, Value: kv.Value}
	}
	return out
}

func graphToProto(g *ir.Graph) (*onnxpb.GraphProto, error) {
	if g == nil {
		return nil, errorf(ErrNoGraph, "missing graph")
	}
	p := &onnxpb.GraphProto{Name: g.Name, DocString: g.DocString}
	var err error
	if p.Input, err = mapErr(g.Inputs, valueInfoToProto); err != nil {
		return nil, err
	}
	if p.Output, err = mapErr(g.Outputs, valueInfoToProto); err != nil {
		return nil, err
	}
	if p.ValueInfo, err = mapErr(g.ValueInfo, valueInfoToProto); err != nil {
		return nil, err
	}
	if p.Initializer, err = mapErr(g.Initializers, tensorToProto); err != nil {
		return nil, err
	}
	for i, n := range g.Nodes {
		np, err := nodeToProto(n, i)
		if err != nil {
			return nil, err
		}
		p.Node = append(p.Node, np)
	}
	return p, nil
}

func nodeToProto(n *ir.Node, i int) (*onnxpb.NodeProto, error) {
	if n == nil {
		return nil, errorf(ErrInvalidModel, "node #%d is nil", i)
	}
	p := &onnxpb.NodeProto{
		Name:      n.Name,
		OpType:    n.OpType,
		Domain:    n.Domain,
		DocString: n.DocString,
		Input:     n.Inputs,
		Output:    n.Outputs,
	}
	var err error
	if p.Attribute, err = mapErr(n.Attrs, attrToProto); err != nil {
		label := fmt.Sprintf("#%d (%s)", i, n.OpType)
		if n.Name != "" {
			label = fmt.Sprintf("%q (%s)", n.Name, n.OpType)
		}
		return nil, withNode(err, label)
	}
	return p, nil
}

func valueInfoToProto(v *ir.ValueInfo) (*onnxpb.ValueInfoProto, error) {
	if v == nil {
		return nil, errorf(ErrInvalidModel, "nil value info")
	}
	p := &onnxpb.ValueInfoProto{Name: v.Name, DocString: v.DocString}
	if v.DType == ir.Undefined && v.Shape == nil {
		return p, nil
	}
	tt := &onnxpb.TypeProto_Tensor{ElemType: int32(v.DType)}
	if v.Shape != nil {
		tt.Shape = &onnxpb.TensorShapeProto{Dim: make([]*onnxpb.TensorShapeProto_Dimension, len(v.Shape))}
		for i, d := range v.Shape {
			tt.Shape.Dim[i] = dimToProto(d)
		}
	}
	p.Type = &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}}
	return p, nil
}

func dimToProto(d ir.Dim) *onnxpb.TensorShapeProto_Dimension {
	switch {
	case d.Param != "":
		return &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: d.Param}}
	case d.Size >= 0:
		return &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d.Size}}
	}
	return &onnxpb.TensorShapeProto_Dimension{}
}

func attrToProto(a *ir.Attr) (*onnxpb.AttributeProto, error) {
	if a == nil {
		return nil, errorf(ErrInvalidModel, "nil attribute")
	}
	p := &onnxpb.AttributeProto{
		Name:        a.Name,
		DocString:   a.DocString,
		Type:        onnxpb.AttributeProto_AttributeType(a.Type),
		RefAttrName: a.RefAttrName,
	}
	if err := attrValueToProto(p, a); err != nil {
		return nil, withAttr(err, a.Name)
	}
	return p, nil
}

func attrValueToProto(p *onnxpb.AttributeProto, a *ir.Attr) error {
	var err error
	switch a.Type {
	case ir.AttrFloat:
		p.F = a.F
	case ir.AttrInt:
		p.I = a.I
	case ir.AttrString:
		p.S = a.S
	case ir.AttrFloats:
		p.Floats = a.Floats
	case ir.AttrInts:
		p.Ints = a.Ints
	case ir.AttrStrings:
		p.Strings = a.Strings
	case ir.AttrTensor:
		p.T, err = optional(a.T, a.RefAttrName, tensorToProto)
	case ir.AttrTensors:
		p.Tensors, err = mapErr(a.Tensors, tensorToProto)
	case ir.AttrGraph:
		p.G, err = optional(a.G, a.RefAttrName, graphToProto)
	case ir.AttrGraphs:
		p.Graphs, err = mapErr(a.Graphs, graphToProto)
	default:
		err = errorf(ErrInvalidModel, "attribute kind %d cannot be written", a.Type)
	}
	return err
}

// optional converts v, which may be nil only in a reference to a function
// attribute.
func optional[S comparable, D any](v S, ref string, f func(S) (D, error)) (D, error) {
	var zero S
	if v == zero && ref != "" {
		var none D
		return none, nil
	}
	return f(v)
}
