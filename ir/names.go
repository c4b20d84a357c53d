package ir

import "fmt"

// Names is the set of every name the graph uses: initializers, inputs,
// nodes and node outputs. Passes that add values pick fresh names with
// UniqueName against it.
func (g *Graph) Names() map[string]bool {
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

// UniqueName returns base, or base_2, base_3, ... whichever used lacks, and
// adds it to used.
func UniqueName(used map[string]bool, base string) string {
	name := base
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	used[name] = true
	return name
}
