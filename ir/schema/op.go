package schema

import (
	"fmt"
	"math"
	"sort"

	"github.com/bincompress/bincompress/ir"
)

// Op is the op layer's description of one operator: the opsets of its
// domain it covers, its arity, how its attributes are read and how its
// outputs' types and shapes follow from its inputs, and which stages of
// bincompress implement it.
type Op struct {
	Domain string // "" is ai.onnx
	Type   string
	Since  int64 // first opset of Domain covered
	Until  int64 // last opset of Domain covered
	In     arities
	Out    arities
	parse  func(r *reader) any
	infer  func(c *call) ([]Value, error)
	stages StageSet
	// limits name what a stage lacks for some uses of the op (a reason,
	// or "" when the node is fine); Check applies them.
	limits map[Stage]func(n *Node, in []Value) string
}

// Variadic is the Max of an arity without limit.
const Variadic = math.MaxInt32

// Arity bounds a node's input or output count from an opset on.
type Arity struct {
	Since    int64 // the first opset it applies to
	Min, Max int   // inputs [0, Min) must be present; at most Max entries
}

type arities []Arity

func arity(min, max int) arities { return arities{{Min: min, Max: max}} }

// from adds the arity that applies from opset on.
func (a arities) from(opset int64, min, max int) arities {
	return append(a[:len(a):len(a)], Arity{Since: opset, Min: min, Max: max})
}

// At is the arity at opset.
func (a arities) At(opset int64) Arity {
	out := a[0]
	for _, x := range a[1:] {
		if x.Since <= opset {
			out = x
		}
	}
	return out
}

// Covers reports whether the op layer reads this op at opset.
func (o *Op) Covers(opset int64) bool { return opset >= o.Since && opset <= o.Until }

// Spec lists the attributes the op reads at opset, as ONNX's schema
// states them.
func (o *Op) Spec(opset int64) []AttrSpec {
	var spec []AttrSpec
	r := &reader{n: &ir.Node{OpType: o.Type}, opset: opset, spec: &spec}
	o.parse(r)
	sort.Slice(spec, func(i, j int) bool { return spec[i].Name < spec[j].Name })
	return spec
}

// Domains of the ops bincompress defines or reads besides ai.onnx.
const (
	// BincompressDomain holds the binary layers of a .bnn
	// (docs/bnn-format.md).
	BincompressDomain = "ai.bincompress"
	// QONNXDomain holds QONNX's quantizers, which the QONNX export
	// writes for FINN.
	QONNXDomain = "qonnx.custom_op.general"
)

// registry maps a domain ("" for ai.onnx) to its ops by type.
var registry = map[string]map[string]*Op{
	"":                onnxOps,
	BincompressDomain: bincompressOps,
	QONNXDomain:       qonnxOps,
}

func init() {
	for d, ops := range registry {
		for name, op := range ops {
			op.Domain, op.Type = d, name
			if op.In == nil || op.Out == nil || op.parse == nil || op.infer == nil || op.Until < op.Since {
				panic("schema: incomplete entry for " + name)
			}
		}
	}
}

// Lookup returns the op layer's description of an op, or nil.
func Lookup(domain, opType string) *Op {
	return registry[normDomain(domain)][opType]
}

// Ops lists every op the op layer knows, by domain then type.
func Ops() []*Op {
	var out []*Op
	for _, ops := range registry {
		for _, op := range ops {
			out = append(out, op)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Domain != out[j].Domain {
			return out[i].Domain < out[j].Domain
		}
		return out[i].Type < out[j].Type
	})
	return out
}

// Node is an ir.Node checked against its op: the op, the model's opset
// for the node's domain, and the typed attributes (a pointer to the op's
// attribute struct, e.g. *Conv; nil for ops without attributes).
type Node struct {
	*ir.Node
	Op    *Op
	Opset int64
	Label string // the quoted name, or #index when unnamed
	Attrs any
}

// Label names node i of a graph for messages: its quoted name, or #i.
func Label(n *ir.Node, i int) string {
	if n.Name != "" {
		return fmt.Sprintf("%q", n.Name)
	}
	return fmt.Sprintf("#%d", i)
}

// Bind checks node n (labelled label) at the opset its model imports for
// the node's domain: the op must be known at that opset (else an
// *UnsupportedOpError with no stage), its arity right and its attributes
// well typed and known (else an *AttrError).
func Bind(n *ir.Node, opset int64, label string) (*Node, error) {
	op := Lookup(n.Domain, n.OpType)
	if op == nil || !op.Covers(opset) {
		return nil, &UnsupportedOpError{Op: n.OpType, Domain: normDomain(n.Domain), Opset: opset, Node: label}
	}
	if err := checkArity(n, label, "inputs", n.Inputs, op.In.At(opset)); err != nil {
		return nil, err
	}
	if err := checkArity(n, label, "outputs", n.Outputs, op.Out.At(opset)); err != nil {
		return nil, err
	}
	r := &reader{n: n, label: label, opset: opset}
	attrs := op.parse(r)
	if err := r.finish(); err != nil {
		return nil, err
	}
	return &Node{Node: n, Op: op, Opset: opset, Label: label, Attrs: attrs}, nil
}

// BindModel binds every node of m's graph, in order.
func BindModel(m *ir.Model) ([]*Node, error) {
	out := make([]*Node, len(m.Graph.Nodes))
	for i, n := range m.Graph.Nodes {
		b, err := Bind(n, m.Opset(n.Domain), Label(n, i))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func checkArity(n *ir.Node, label, what string, names []string, a Arity) error {
	if len(names) > a.Max || len(names) < a.Min {
		want := fmt.Sprintf("%d to %d", a.Min, a.Max)
		switch {
		case a.Max == Variadic:
			want = fmt.Sprintf("at least %d", a.Min)
		case a.Min == a.Max:
			want = fmt.Sprint(a.Min)
		}
		return fmt.Errorf("schema: node %s (%s): has %d %s, want %s", label, n.OpType, len(names), what, want)
	}
	if what == "inputs" {
		for i := range a.Min {
			if names[i] == "" {
				return fmt.Errorf("schema: node %s (%s): required input %d is empty", label, n.OpType, i)
			}
		}
	}
	return nil
}

// AttrsOf binds n at the opset m imports for its domain and returns its
// attributes as *T (T is the op's attribute struct, e.g. schema.Conv).
func AttrsOf[T any](m *ir.Model, n *ir.Node) (*T, error) {
	b, err := Bind(n, m.Opset(n.Domain), Label(n, indexOf(m, n)))
	if err != nil {
		return nil, err
	}
	return As[T](b)
}

// As returns a bound node's attributes as *T.
func As[T any](n *Node) (*T, error) {
	a, ok := n.Attrs.(*T)
	if !ok {
		var want *T
		return nil, fmt.Errorf("schema: node %s (%s) has attributes %T, not %T", n.Label, n.OpType, n.Attrs, want)
	}
	return a, nil
}

func indexOf(m *ir.Model, n *ir.Node) int {
	if m.Graph != nil {
		for i, x := range m.Graph.Nodes {
			if x == n {
				return i
			}
		}
	}
	return -1
}
