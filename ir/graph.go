package ir

import "strconv"

// Model is a whole ONNX model: the graph plus the model-level fields that a
// faithful round trip must keep.
type Model struct {
	IRVersion       int64
	OpsetImports    []OpsetImport
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	Metadata        []KeyValue // ordered as in the file
	Graph           *Graph
}

// OpsetImport names an operator set and its version. The default ONNX domain
// is written as "" (ONNX also accepts "ai.onnx").
type OpsetImport struct {
	Domain  string
	Version int64
}

// KeyValue is one metadata_props entry.
type KeyValue struct {
	Key, Value string
}

// Graph is a computation graph in topological order (ONNX requires it).
type Graph struct {
	Name         string
	DocString    string
	Nodes        []*Node
	Inputs       []*ValueInfo // as in the file; may include initializer names
	Outputs      []*ValueInfo
	ValueInfo    []*ValueInfo
	Initializers []*Tensor
}

// ValueInfo describes a graph input, output or intermediate value.
type ValueInfo struct {
	Name      string
	DocString string
	DType     DType
	// Shape is nil when the rank is unknown.
	Shape []Dim
}

// Dim is one dimension of a value's shape: a known size, a symbolic name
// (such as "batch"), or neither when unknown.
type Dim struct {
	Size  int64 // valid when Param == "" and Size >= 0
	Param string
}

// Known reports whether the dimension has a fixed size.
func (d Dim) Known() bool { return d.Param == "" && d.Size >= 0 }

// String is the symbolic name, the size, or "?" when unknown.
func (d Dim) String() string {
	switch {
	case d.Param != "":
		return d.Param
	case d.Size >= 0:
		return strconv.FormatInt(d.Size, 10)
	}
	return "?"
}

// UnknownDim is a dimension with neither a size nor a name.
var UnknownDim = Dim{Size: -1}

// Node is one operator application.
type Node struct {
	Name      string
	OpType    string
	Domain    string // "" is the default ONNX domain
	DocString string
	Inputs    []string // "" marks an omitted optional input
	Outputs   []string
	Attrs     []*Attr // ordered as in the file
}

// AttrType is the kind of value an attribute holds; the values are ONNX's
// AttributeProto.AttributeType numbers.
type AttrType int32

// Attribute kinds (AttributeProto.AttributeType).
const (
	AttrUndefined AttrType = 0
	AttrFloat     AttrType = 1
	AttrInt       AttrType = 2
	AttrString    AttrType = 3
	AttrTensor    AttrType = 4
	AttrGraph     AttrType = 5
	AttrFloats    AttrType = 6
	AttrInts      AttrType = 7
	AttrStrings   AttrType = 8
	AttrTensors   AttrType = 9
	AttrGraphs    AttrType = 10
)

// Attr is a node attribute; the field that matches Type holds the value.
type Attr struct {
	Name      string
	DocString string
	Type      AttrType
	F         float32
	I         int64
	S         []byte
	T         *Tensor
	G         *Graph
	Floats    []float32
	Ints      []int64
	Strings   [][]byte
	Tensors   []*Tensor
	Graphs    []*Graph
	// RefAttrName is set for attributes that refer to a function's attribute.
	RefAttrName string
}

// Attr returns the node's attribute with the given name, or nil. Stages
// read attribute values through the op layer (ir/schema), which checks
// their types; this is for passes that copy or rewrite attributes.
func (n *Node) Attr(name string) *Attr {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// SetAttr replaces or appends an attribute.
func (n *Node) SetAttr(a *Attr) {
	for i, old := range n.Attrs {
		if old.Name == a.Name {
			n.Attrs[i] = a
			return
		}
	}
	n.Attrs = append(n.Attrs, a)
}

// Input returns the i-th input name, or "" when the node has fewer inputs.
func (n *Node) Input(i int) string {
	if i < len(n.Inputs) {
		return n.Inputs[i]
	}
	return ""
}

// Opset returns the version imported for a domain ("" and "ai.onnx" both
// mean the default domain), or 0 when the model does not import it.
func (m *Model) Opset(domain string) int64 {
	if domain == "ai.onnx" {
		domain = ""
	}
	for _, o := range m.OpsetImports {
		d := o.Domain
		if d == "ai.onnx" {
			d = ""
		}
		if d == domain {
			return o.Version
		}
	}
	return 0
}

// MetadataValue returns the value of a metadata key and whether it exists.
func (m *Model) MetadataValue(key string) (string, bool) {
	for _, kv := range m.Metadata {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// SetMetadata replaces or appends a metadata entry.
func (m *Model) SetMetadata(key, value string) {
	for i := range m.Metadata {
		if m.Metadata[i].Key == key {
			m.Metadata[i].Value = value
			return
		}
	}
	m.Metadata = append(m.Metadata, KeyValue{key, value})
}

// Initializer returns the initializer with the given name, or nil.
func (g *Graph) Initializer(name string) *Tensor {
	for _, t := range g.Initializers {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// InitializerMap indexes the initializers by name.
func (g *Graph) InitializerMap() map[string]*Tensor {
	m := make(map[string]*Tensor, len(g.Initializers))
	for _, t := range g.Initializers {
		m[t.Name] = t
	}
	return m
}

// DataInputs returns the graph inputs that no initializer backs: the values
// a caller must feed.
func (g *Graph) DataInputs() []*ValueInfo {
	init := g.InitializerMap()
	var out []*ValueInfo
	for _, v := range g.Inputs {
		if _, ok := init[v.Name]; !ok {
			out = append(out, v)
		}
	}
	return out
}

// Producers maps each value name to the node that produces it.
func (g *Graph) Producers() map[string]*Node {
	m := make(map[string]*Node)
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != "" {
				m[o] = n
			}
		}
	}
	return m
}

// Consumers maps each value name to the nodes that read it, in graph order.
func (g *Graph) Consumers() map[string][]*Node {
	m := make(map[string][]*Node)
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" {
				m[in] = append(m[in], n)
			}
		}
	}
	return m
}
