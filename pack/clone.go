package pack

import (
	"strconv"

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

// names is the set of node and value names of g, for picking fresh ones.
func names(g *ir.Graph) map[string]bool {
	m := map[string]bool{}
	for _, t := range g.Initializers {
		m[t.Name] = true
	}
	for _, v := range g.Inputs {
		m[v.Name] = true
	}
	for _, n := range g.Nodes {
		m[n.Name] = true
		for _, o := range n.Outputs {
			m[o] = true
		}
	}
	return m
}

// fresh returns base or base_2, base_3, ... whichever is unused, and marks
// it used.
func fresh(used map[string]bool, base string) string {
	name := base
	for i := 2; used[name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	used[name] = true
	return name
}

// dropUnused removes initializer name (and a graph input of that name)
// when no node reads it and it is not a graph output.
func dropUnused(g *ir.Graph, name string) {
	if name == "" || g.Initializer(name) == nil {
		return
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in == name {
				return
			}
		}
	}
	for _, o := range g.Outputs {
		if o.Name == name {
			return
		}
	}
	g.Initializers = deleteWhere(g.Initializers, func(t *ir.Tensor) bool { return t.Name == name })
	g.Inputs = deleteWhere(g.Inputs, func(v *ir.ValueInfo) bool { return v.Name == name })
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
