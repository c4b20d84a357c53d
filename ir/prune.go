package ir

// DropUnusedInitializer removes the initializer name, and a graph input of
// that name, when no node reads it and it is no graph output. Passes call it
// after rewriting a node's inputs (folding, packing). It builds new slices,
// so a model cloned shallowly never changes its original.
func (g *Graph) DropUnusedInitializer(name string) {
	if name == "" || g.Initializer(name) == nil || len(g.Consumers()[name]) > 0 {
		return
	}
	for _, o := range g.Outputs {
		if o.Name == name {
			return
		}
	}
	var inits []*Tensor
	for _, t := range g.Initializers {
		if t.Name != name {
			inits = append(inits, t)
		}
	}
	var inputs []*ValueInfo
	for _, v := range g.Inputs {
		if v.Name != name {
			inputs = append(inputs, v)
		}
	}
	g.Initializers, g.Inputs = inits, inputs
}
