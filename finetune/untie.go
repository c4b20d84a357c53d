package finetune

import (
	"cmp"
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
	untieBatchNorm(g, listed)
}

// bnSlots names BatchNormalization's inputs after X: the parameters and
// statistics untieBatchNorm gives each node its own copy of.
var bnSlots = [...]string{1: "scale", 2: "B", 3: "input_mean", 4: "input_var"}

// untieBatchNorm gives each BatchNormalization input after X that names a
// float initializer another input also reads (another BN's, or this BN's
// own bias and mean, both zero) a copy of its own, named by the node and
// the input; the last reader keeps the original. Tools that merge equal
// initializers without an Identity (onnxoptimizer's
// eliminate_duplicate_initializer) leave such graphs, and the trainer
// updates each BN's parameters and re-estimates its statistics in the
// tensors it reads: shared, the last BN written decided every sharer's
// statistics.
func untieBatchNorm(g *ir.Graph, listed map[string]bool) {
	inits := g.InitializerMap()
	reads := map[string]int{}
	for _, nd := range g.Nodes {
		for _, in := range nd.Inputs {
			reads[in]++
		}
	}
	for _, o := range g.Outputs {
		reads[o.Name]++
	}
	used := g.Names()
	for _, nd := range g.Nodes {
		if nd.OpType != "BatchNormalization" || (nd.Domain != "" && nd.Domain != "ai.onnx") {
			continue
		}
		for i := 1; i < len(nd.Inputs) && i < len(bnSlots); i++ {
			src := inits[nd.Inputs[i]]
			if src == nil || src.DType != ir.Float32 || reads[src.Name] < 2 {
				continue
			}
			reads[src.Name]--
			c := src.Clone()
			c.Name = ir.UniqueName(used, cmp.Or(nd.Name, src.Name)+"."+bnSlots[i])
			nd.Inputs[i] = c.Name
			g.Initializers = append(g.Initializers, c)
			if listed[src.Name] {
				g.Inputs = append(g.Inputs, &ir.ValueInfo{Name: c.Name, DType: ir.Float32, Shape: dimsOf(c.Shape)})
			}
		}
	}
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
