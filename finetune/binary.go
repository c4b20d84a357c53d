package finetune

import (
	"fmt"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// selection says which layers become binary: every Conv, Gemm and MatMul
// with an initializer weight, except those Keep names.
type selection struct {
	mode ScaleMode
	keep []string // node or weight names, "first", "last"
}

// candidates lists the binarizable layers in graph order with their layouts.
func (n *net) candidates() []*binLayer {
	var out []*binLayer
	for _, nd := range n.nodes {
		w, ok := n.params[nd.Input(1)]
		if !ok {
			continue
		}
		var l wlayout
		switch {
		case nd.OpType == "Conv" && len(w.Shape) == 4:
			l = wlayout{out: w.Shape[0], fanIn: w.Shape[1] * w.Shape[2] * w.Shape[3]}
		case nd.OpType == "Gemm" && len(w.Shape) == 2 && n.gemmTransB(nd):
			l = wlayout{out: w.Shape[0], fanIn: w.Shape[1]}
		case (nd.OpType == "Gemm" || nd.OpType == "MatMul") && len(w.Shape) == 2:
			l = wlayout{out: w.Shape[1], fanIn: w.Shape[0], cols: true}
		default:
			continue
		}
		out = append(out, &binLayer{node: nd, weight: nd.Input(1), layout: l, latent: w})
	}
	return out
}

// selectBinary marks the selected layers binary and gives each its Ŵ.
func (n *net) selectBinary(sel *selection) error {
	cands := n.candidates()
	keep := map[*ir.Node]bool{}
	for _, k := range sel.keep {
		found := false
		for i, c := range cands {
			if k == c.node.Name || k == c.weight || (k == "first" && i == 0) || (k == "last" && i == len(cands)-1) {
				keep[c.node], found = true, true
			}
		}
		if !found {
			return fmt.Errorf("finetune: keep-float %q names no conv or dense layer", k)
		}
	}
	for _, c := range cands {
		if keep[c.node] {
			continue
		}
		c.mode = sel.mode
		c.hat = autograd.Alias(c.latent, make([]float32, len(c.latent.Data)))
		n.binary[c.node] = c
		n.layers = append(n.layers, c)
	}
	return nil
}

// binarize recomputes every Ŵ = s·sign(W) from the current latent weights;
// call it before each forward pass after weights change.
func (n *net) binarize() {
	for _, l := range n.layers {
		l.latent.Backend().Binarize(l.hat.Buffer(), l.latent.Buffer(), l.layout.out, l.layout.fanIn, l.layout.cols, string(l.mode))
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
