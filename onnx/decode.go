package onnx

import (
	"errors"
	"fmt"
	"hash"

	"google.golang.org/protobuf/proto"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx/internal/onnxpb"
)

// The IR versions and default-domain opsets this reader accepts.
const (
	MinIRVersion = 3
	MaxIRVersion = 10
	MinOpset     = 1
	MaxOpset     = 21
)

// decoder converts protobuf messages to the IR; dir is the model's folder
// for external data, "" when decoding bytes.
type decoder struct {
	dir           string
	externalBytes int64     // external data read so far (MaxExternalBytes)
	externalFiles []string  // the files it was read from, each once (Source.External)
	digest        hash.Hash // when not nil, takes the external data as it is read (Source)
}

var unmarshal = proto.UnmarshalOptions{DiscardUnknown: true}

// Decode parses a serialized ONNX ModelProto. Tensors with external data
// are an error, since there is no folder to resolve them in; use ReadFile.
func Decode(data []byte) (*ir.Model, error) {
	return (&decoder{}).model(data)
}

// DecodeTensor parses a serialized TensorProto, such as the input_0.pb and
// output_0.pb files of ONNX's backend tests.
func DecodeTensor(data []byte) (*ir.Tensor, error) {
	var p onnxpb.TensorProto
	if err := unmarshal.Unmarshal(data, &p); err != nil {
		return nil, &FormatError{Reason: "cannot parse tensor", Err: fmt.Errorf("%w: %v", ErrNotONNX, err)}
	}
	return (&decoder{}).tensor(&p)
}

func (d *decoder) model(data []byte) (*ir.Model, error) {
	if err := countEntries(data); err != nil {
		return nil, err
	}
	var p onnxpb.ModelProto
	if err := unmarshal.Unmarshal(data, &p); err != nil {
		return nil, otherFormat(data, &FormatError{Reason: "cannot parse model", Err: fmt.Errorf("%w: %v", ErrNotONNX, err)})
	}
	if err := checkModel(&p); err != nil {
		return nil, otherFormat(data, err)
	}
	keys := map[string]bool{} // a .bnn's digest covers the first of each key
	for _, kv := range p.MetadataProps {
		if keys[kv.GetKey()] {
			return nil, errorf(ErrDuplicate, "metadata key %q appears twice", kv.GetKey())
		}
		keys[kv.GetKey()] = true
	}
	g, err := d.graph(p.Graph)
	if err != nil {
		return nil, err
	}
	return &ir.Model{
		IRVersion:       p.IrVersion,
		OpsetImports:    opsetsFromProto(p.OpsetImport),
		ProducerName:    p.ProducerName,
		ProducerVersion: p.ProducerVersion,
		Domain:          p.Domain,
		ModelVersion:    p.ModelVersion,
		DocString:       p.DocString,
		Metadata:        keyValuesFromProto(p.MetadataProps),
		Graph:           g,
	}, nil
}

// otherFormats are the model files passed in ONNX's place most often, by
// the bytes at offset, with how to get ONNX from them.
var otherFormats = []struct {
	offset      int
	magic, what string
}{
	{0, "PK\x03\x04", "a zip archive, as PyTorch's torch.save and torch.jit.save and Keras 3 write: export the model with torch.onnx.export (Keras: tf2onnx)"},
	{0, "\x80\x02\x8a\x0a", "a PyTorch file in torch.save's legacy format: load the model and export it with torch.onnx.export"},
	{0, "\x89HDF\r\n\x1a\n", "an HDF5 file, as Keras's model.save writes: convert it with tf2onnx"},
	{4, "TFL3", "a TensorFlow Lite model: convert it with tf2onnx (--tflite)"},
}

// otherFormat replaces err, a refusal of data as not ONNX, by one naming
// the format data is in and how to export ONNX from it, when it is one of
// otherFormats; "cannot parse model: proto: ..." left a PyTorch user
// nowhere.
func otherFormat(data []byte, err error) error {
	if !errors.Is(err, ErrNotONNX) {
		return err
	}
	for _, f := range otherFormats {
		if len(data) >= f.offset+len(f.magic) && string(data[f.offset:f.offset+len(f.magic)]) == f.magic {
			return errorf(ErrNotONNX, "not an ONNX model but %s", f.what)
		}
	}
	return err
}

// checkModel rejects what this reader does not support, before any tensor
// is converted.
func checkModel(p *onnxpb.ModelProto) error {
	if p.Graph == nil {
		if p.IrVersion == 0 {
			return errorf(ErrNotONNX, "not an ONNX model (no ir_version and no graph)")
		}
		return errorf(ErrNoGraph, "model has no graph")
	}
	if p.IrVersion < MinIRVersion || p.IrVersion > MaxIRVersion {
		return errorf(ErrUnsupported, "IR version %d not supported (want %d to %d)", p.IrVersion, MinIRVersion, MaxIRVersion)
	}
	if len(p.Functions) > 0 {
		return errorf(ErrUnsupported, "model-local functions (%q, ...) are not supported: export without torch.onnx.export's export_modules_as_functions, or inline them (onnx.inliner.inline_local_functions, onnx 1.15 or later)", p.Functions[0].GetName())
	}
	return checkOpsets(p)
}

// checkOpsets requires a default-domain opset in [MinOpset, MaxOpset] when
// the model imports one or uses default-domain ops.
func checkOpsets(p *onnxpb.ModelProto) error {
	found := false
	for _, o := range p.OpsetImport {
		if d := o.GetDomain(); d != "" && d != "ai.onnx" {
			continue
		}
		if o.Version < MinOpset || o.Version > MaxOpset {
			return errorf(ErrUnsupported, "default-domain opset %d not supported (want %d to %d)", o.Version, MinOpset, MaxOpset)
		}
		found = true
	}
	if found {
		return nil
	}
	for i, n := range p.Graph.Node {
		if d := n.GetDomain(); d == "" || d == "ai.onnx" {
			return &FormatError{Node: nodeLabel(n, i), Reason: "uses the default ONNX domain but the model imports no default-domain opset", Err: ErrUnsupported}
		}
	}
	return nil
}

func opsetsFromProto(ps []*onnxpb.OperatorSetIdProto) []ir.OpsetImport {
	out := make([]ir.OpsetImport, len(ps))
	for i, p := range ps {
		out[i] = ir.OpsetImport{Domain: p.GetDomain(), Version: p.GetVersion()}
	}
	return out
}

func keyValuesFromProto(ps []*onnxpb.StringStringEntryProto) []ir.KeyValue {
	if len(ps) == 0 {
		return nil
	}
	out := make([]ir.KeyValue, len(ps))
	for i, p := range ps {
		out[i] = ir.KeyValue{Key: p.GetKey(), Value: p.GetValue()}
	}
	return out
}

func (d *decoder) graph(p *onnxpb.GraphProto) (*ir.Graph, error) {
	if p == nil {
		return nil, errorf(ErrNoGraph, "missing graph")
	}
	if len(p.SparseInitializer) > 0 {
		return nil, &FormatError{Tensor: p.SparseInitializer[0].GetValues().GetName(), Reason: "sparse initializers are not supported", Err: ErrUnsupported}
	}
	g := &ir.Graph{
		Name:      p.Name,
		DocString: p.DocString,
		Inputs:    valueInfosFromProto(p.Input),
		Outputs:   valueInfosFromProto(p.Output),
		ValueInfo: valueInfosFromProto(p.ValueInfo),
	}
	seen := map[string]bool{}
	for _, tp := range p.Initializer {
		if seen[tp.GetName()] {
			return nil, &FormatError{Tensor: tp.GetName(), Reason: "a second initializer of that name", Err: ErrDuplicate}
		}
		seen[tp.GetName()] = true
		t, err := d.tensor(tp)
		if err != nil {
			return nil, err
		}
		g.Initializers = append(g.Initializers, t)
	}
	for i, np := range p.Node {
		n, err := d.node(np, i)
		if err != nil {
			return nil, withNode(err, nodeLabel(np, i))
		}
		g.Nodes = append(g.Nodes, n)
	}
	return g, nil
}

// nodeLabel names a node in errors: its name, or its index and op type.
func nodeLabel(p *onnxpb.NodeProto, i int) string {
	if p.GetName() != "" {
		return fmt.Sprintf("%q (%s)", p.GetName(), p.GetOpType())
	}
	return fmt.Sprintf("#%d (%s)", i, p.GetOpType())
}

func (d *decoder) node(p *onnxpb.NodeProto, i int) (*ir.Node, error) {
	n := &ir.Node{
		Name:      p.Name,
		OpType:    p.OpType,
		Domain:    p.Domain,
		DocString: p.DocString,
		Inputs:    p.Input,
		Outputs:   p.Output,
	}
	if n.Domain == "ai.onnx" {
		n.Domain = ""
	}
	for _, ap := range p.Attribute {
		if n.Attr(ap.GetName()) != nil {
			return nil, &FormatError{Attr: ap.GetName(), Reason: "a second attribute of that name", Err: ErrDuplicate}
		}
		a, err := d.attr(ap)
		if err != nil {
			return nil, err
		}
		n.Attrs = append(n.Attrs, a)
	}
	return n, nil
}

func valueInfosFromProto(ps []*onnxpb.ValueInfoProto) []*ir.ValueInfo {
	var out []*ir.ValueInfo
	for _, p := range ps {
		out = append(out, valueInfoFromProto(p))
	}
	return out
}

// valueInfoFromProto keeps tensor types; other kinds of value (sequence,
// map, optional, sparse tensor) become untyped values.
func valueInfoFromProto(p *onnxpb.ValueInfoProto) *ir.ValueInfo {
	v := &ir.ValueInfo{Name: p.GetName(), DocString: p.GetDocString()}
	tt := p.GetType().GetTensorType()
	if tt == nil {
		return v
	}
	v.DType = ir.DType(tt.ElemType)
	if tt.Shape != nil {
		v.Shape = make([]ir.Dim, len(tt.Shape.Dim))
		for i, d := range tt.Shape.Dim {
			v.Shape[i] = dimFromProto(d)
		}
	}
	return v
}

func dimFromProto(d *onnxpb.TensorShapeProto_Dimension) ir.Dim {
	switch v := d.GetValue().(type) {
	case *onnxpb.TensorShapeProto_Dimension_DimValue:
		if v.DimValue >= 0 {
			return ir.Dim{Size: v.DimValue}
		}
	case *onnxpb.TensorShapeProto_Dimension_DimParam:
		if v.DimParam != "" {
			return ir.Dim{Param: v.DimParam}
		}
	}
	return ir.UnknownDim
}
