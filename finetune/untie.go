package finetune

import (
	"slices"

	"github.com/bincompress/bincompress/ir"
)

// untie gives each Identity node that forwards a float initializer its own
// copy of it, named by the Identity's output, and drops the node. PyTorch's
// exporter merges equal initializers this way (two BN offsets that are both
// zero become one initializer and an Identity); they are separate
// parameters and must train separately. g must belong to a model the
// trainer owns.
func untie(g *ir.Graph) {
	inits := g.InitializerMap()
	listed := map[string]bool{}
	for _, v := range g.Inputs {
		listed[v.Name] = true
	}
	g.Nodes = slices.DeleteFunc(g.Nodes, func(nd *ir.Node) bool {
		src := inits[nd.Input(0)]
		if nd.OpType != "Identity" || src == nil || src.DType != ir.Float32 || len(nd.Outputs) != 1 || isGraphOutput(g, nd.Outputs[0]) {
			return false
		}
		c := src.Clone()
		c.Name = nd.Outputs[0]
		g.Initializers = append(g.Initializers, c)
		if listed[src.Name] { // IR < 4 lists initializers among the inputs
			g.Inputs = append(g.Inputs, &ir.ValueInfo{Name: c.Name, DType: ir.Float32, Shape: dimsOf(c.Shape)})
		}
		return true
	})
}

func isGraphOutput(g *ir.Graph, name string) bool {
	for _, o := range g.Outputs {
		if o.Name == name {
			return true
		}
	}
	return false
}

func dimsOf(shape []int) []ir.Dim {
	d := make([]ir.Dim, len(shape))
	for i, s := range shape {
		d[i] = ir.Dim{Size: int64(s)}
	}
	return d
}
