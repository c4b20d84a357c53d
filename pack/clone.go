package pack

import (
	"github.com/bincompress/bincompress/ir"
)

// cloneModel copies everything Pack and Unpacked may change: the model
// fields, metadata, opset imports, graph lists, nodes and their attribute
// lists. Tensors are shared; the functions here replace tensors rather than
// write into them.
func cloneModel(m *ir.Model) *ir.Model {
	c := *m
	c.OpsetImports = append([]ir.OpsetImport(nil), m.OpsetImports...)
	c.Metadata = append([]ir.KeyValue(nil), m.Metadata...)
	if m.Graph != nil {
		g := *m.Graph
		g.Inputs = append([]*ir.ValueInfo(nil), g.Inputs...)
		g.Outputs = append([]*ir.ValueInfo(nil), g.Outputs...)
		g.ValueInfo = append([]*ir.ValueInfo(nil), g.ValueInfo...)
		g.Initializers = append([]*ir.Tensor(nil), g.Initializers...)
		g.Nodes = make([]*ir.Node, len(m.Graph.Nodes))
		for i, n := range m.Graph.Nodes {
			nc := *n
			nc.Inputs = append([]string(nil), n.Inputs...)
			nc.Outputs = append([]string(nil), n.Outputs...)
			nc.Attrs = append([]*ir.Attr(nil), n.Attrs...)
			g.Nodes[i] = &nc
		}
		c.Graph = &g
	}
	return &c
}

func deleteWhere[T any](s []T, drop func(T) bool) []T {
	out := s[:0:0]
	for _, x := range s {
		if !drop(x) {
			out = append(out, x)
		}
	}
	return out
}
