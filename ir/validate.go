package ir

import (
	"errors"
	"fmt"
)

// Validate checks the structure of a model: a graph is present, every
// initializer's data matches its shape, node outputs are unique, and every
// node input is produced by an earlier node, a graph input or an initializer
// (ONNX requires topological order).
func (m *Model) Validate() error {
	if m.Graph == nil {
		return errors.New("ir: model has no graph")
	}
	return m.Graph.Validate()
}

// Validate checks the graph as Model.Validate describes.
func (g *Graph) Validate() error {
	defined := make(map[string]bool)
	for _, t := range g.Initializers {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("ir: initializer %q: %w", t.Name, err)
		}
		defined[t.Name] = true
	}
	for _, v := range g.Inputs {
		defined[v.Name] = true
	}
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" && !defined[in] {
				return undefinedInput(g, i, n, in)
			}
		}
		for _, out := range n.Outputs {
			if out == "" {
				continue
			}
			if defined[out] && g.Initializer(out) == nil {
				return fmt.Errorf("ir: node %s (%s): output %q is already defined", n.label(i), n.OpType, out)
			}
			defined[out] = true
		}
	}
	for _, o := range g.Outputs {
		if !defined[o.Name] {
			return fmt.Errorf("ir: graph output %q is produced by nothing", o.Name)
		}
	}
	return nil
}

// undefinedInput explains an input no earlier node produced: a later node
// producing it means a cycle or an unsorted graph, which ONNX forbids.
func undefinedInput(g *Graph, i int, n *Node, in string) error {
	for j := i; j < len(g.Nodes); j++ {
		for _, out := range g.Nodes[j].Outputs {
			if out == in {
				return fmt.Errorf("ir: node %s (%s): input %q is produced only by node %s after it: the graph has a cycle or is not in topological order",
					n.label(i), n.OpType, in, g.Nodes[j].label(j))
			}
		}
	}
	return fmt.Errorf("ir: node %s (%s): input %q is produced by nothing before it", n.label(i), n.OpType, in)
}

// label names a node for messages: its name, or its index when unnamed.
func (n *Node) label(i int) string {
	if n.Name != "" {
		return fmt.Sprintf("%q", n.Name)
	}
	return fmt.Sprintf("#%d", i)
}
