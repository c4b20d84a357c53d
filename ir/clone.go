package ir

// Clone returns a deep copy of the model: graph structure, attributes and
// tensor data. Stages that rewrite a model in place clone it first when the
// caller still needs the original (the source model is the teacher and the
// reference for verification).
func (m *Model) Clone() *Model { return m.clone(false) }

// CloneSharingData is Clone, except that the initializers' data is m's,
// not a copy: for a reader that never writes tensor data (the
// distillation teacher), which would otherwise hold a second copy of the
// weights.
func (m *Model) CloneSharingData() *Model { return m.clone(true) }

func (m *Model) clone(shareData bool) *Model {
	c := *m
	c.OpsetImports = append([]OpsetImport(nil), m.OpsetImports...)
	c.Metadata = append([]KeyValue(nil), m.Metadata...)
	if m.Graph != nil {
		c.Graph = m.Graph.clone(shareData)
	}
	return &c
}

// Clone returns a deep copy of the graph.
func (g *Graph) Clone() *Graph { return g.clone(false) }

// clone copies the graph; with shareData its initializers are new
// tensors (name, shape) over g's data.
func (g *Graph) clone(shareData bool) *Graph {
	c := *g
	c.Inputs = cloneValueInfos(g.Inputs)
	c.Outputs = cloneValueInfos(g.Outputs)
	c.ValueInfo = cloneValueInfos(g.ValueInfo)
	c.Initializers = make([]*Tensor, len(g.Initializers))
	for i, t := range g.Initializers {
		if shareData {
			s := *t
			s.Shape = append([]int(nil), t.Shape...)
			c.Initializers[i] = &s
		} else {
			c.Initializers[i] = t.Clone()
		}
	}
	c.Nodes = make([]*Node, len(g.Nodes))
	for i, n := range g.Nodes {
		c.Nodes[i] = n.Clone()
	}
	return &c
}

// Clone returns a deep copy of the node.
func (n *Node) Clone() *Node {
	c := *n
	c.Inputs = append([]string(nil), n.Inputs...)
	c.Outputs = append([]string(nil), n.Outputs...)
	c.Attrs = make([]*Attr, len(n.Attrs))
	for i, a := range n.Attrs {
		c.Attrs[i] = a.Clone()
	}
	return &c
}

// Clone returns a deep copy of the attribute.
func (a *Attr) Clone() *Attr {
	c := *a
	c.S = append([]byte(nil), a.S...)
	c.Floats = append([]float32(nil), a.Floats...)
	c.Ints = append([]int64(nil), a.Ints...)
	c.Strings = make([][]byte, len(a.Strings))
	for i, s := range a.Strings {
		c.Strings[i] = append([]byte(nil), s...)
	}
	if a.T != nil {
		c.T = a.T.Clone()
	}
	if a.G != nil {
		c.G = a.G.Clone()
	}
	c.Tensors = make([]*Tensor, len(a.Tensors))
	for i, t := range a.Tensors {
		c.Tensors[i] = t.Clone()
	}
	c.Graphs = make([]*Graph, len(a.Graphs))
	for i, g := range a.Graphs {
		c.Graphs[i] = g.Clone()
	}
	return &c
}

func cloneValueInfos(vs []*ValueInfo) []*ValueInfo {
	out := make([]*ValueInfo, len(vs))
	for i, v := range vs {
		c := *v
		c.Shape = append([]Dim(nil), v.Shape...)
		out[i] = &c
	}
	return out
}
