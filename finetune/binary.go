package finetune

import (
	"errors"
	"fmt"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// ErrNoPlan is returned for a model that carries no binarization plan
// (ir.LayersKey): package convert's PlanPipeline makes one.
var ErrNoPlan = errors.New("finetune: the model carries no binarization plan (" + ir.LayersKey + "); plan it with convert.PlanPipeline first")

// planOf reads the model's binarization plan.
func planOf(m *ir.Model) ([]ir.LayerRecord, error) {
	recs, err := m.LayerRecords()
	if err != nil {
		return nil, fmt.Errorf("finetune: %w", err)
	}
	if recs == nil {
		return nil, ErrNoPlan
	}
	return recs, nil
}

// selectBinary makes binary exactly the layers the plan marks binarized,
// each with its recorded scale mode, and gives each its Ŵ.
func (n *net) selectBinary(plan []ir.LayerRecord) error {
	byName := map[string]*ir.Node{}
	for _, nd := range n.nodes {
		byName[nd.Name] = nd
	}
	for _, r := range plan {
		if !r.Binarized {
			continue
		}
		nd := byName[r.Node]
		if nd == nil || nd.Input(1) != r.Weight {
			return fmt.Errorf("finetune: the plan's layer %q (weight %q) is not a node of the model reading that weight", r.Node, r.Weight)
		}
		w, ok := n.params[r.Weight]
		layout, lok := ir.LayoutOf(nd.OpType, n.gemmTransB(nd), shapeOf(w))
		if !ok || !lok || len(w.Data) != layout.Out*layout.FanIn {
			return fmt.Errorf("finetune: node %q: the plan binarizes weight %q, which is not a conv or dense weight initializer", r.Node, r.Weight)
		}
		if _, err := ir.ParseScaleMode(string(r.Scale)); err != nil {
			return fmt.Errorf("finetune: node %q: %w", r.Node, err)
		}
		l := &binLayer{node: nd, weight: r.Weight, layout: layout, mode: r.Scale, latent: w,
			hat: autograd.Alias(w, make([]float32, len(w.Data)))}
		n.binary[nd] = l
		n.layers = append(n.layers, l)
	}
	return nil
}

func shapeOf(t *autograd.Tensor) []int {
	if t == nil {
		return nil
	}
	return t.Shape
}

// binarize recomputes every Ŵ = s·sign(W) from the current latent weights;
// call it before each forward pass after weights change.
func (n *net) binarize() {
	for _, l := range n.layers {
		l.latent.Backend().Binarize(l.hat.Buffer(), l.latent.Buffer(), l.layout.Out, l.layout.FanIn, l.layout.ColMajor, string(l.mode))
	}
}

// weight returns the tensor a node's forward pass uses for input i: Ŵ for a
// binary layer's weight, else the value.
func (n *net) weight(nd *ir.Node, v *autograd.Tensor) (*autograd.Tensor, bool) {
	if b, ok := n.binary[nd]; ok {
		return b.hat, true
	}
	return v, false
}

// gemmTransB reports whether a Gemm holds B as [N, K].
func (n *net) gemmTransB(nd *ir.Node) bool {
	a, err := attrsOf[schema.Gemm](n, nd)
	return err == nil && a.TransB
}
