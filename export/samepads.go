package export

import (
	"fmt"
	"slices"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// explicitPads rewrites every Conv of u whose auto_pad is SAME_UPPER or
// SAME_LOWER with the pads that padding stands for (schema's
// Window.Resolve, which the executor runs by) and no auto_pad: onnxruntime
// refuses SAME auto_pad with a dilation other than 1, and explicit pads mean
// the same to every runtime. A Conv whose input height or width is not
// known (a model of symbolic size) keeps its auto_pad: its pads depend on
// that size.
func explicitPads(u *ir.Model) error {
	if !slices.ContainsFunc(u.Graph.Nodes, isSameConv) {
		return nil // nothing to rewrite: no need to infer shapes
	}
	res, err := schema.Infer(u, schema.Options{})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for _, n := range res.Nodes {
		if !isSameConv(n.Node) {
			continue
		}
		a, err := schema.As[schema.Conv](n)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		in, w := res.Values[n.Input(0)].Shape, res.Values[n.Input(1)].Shape
		if len(in) < 3 || len(w) != len(in) {
			continue
		}
		spatial, inOK := schema.Ints(in[2:]) // the batch may be symbolic
		kernel, wOK := schema.Ints(w[2:])
		if !inOK || !wOK {
			continue
		}
		geo, err := a.Resolve(spatial, kernel)
		if err != nil {
			return fmt.Errorf("export: node %s: %w", n.Label, err)
		}
		pads := make([]int64, 0, 2*len(geo.PadBegin))
		for _, p := range geo.PadBegin {
			pads = append(pads, int64(p))
		}
		for _, p := range geo.PadEnd {
			pads = append(pads, int64(p))
		}
		n.SetAttr(&ir.Attr{Name: "pads", Type: ir.AttrInts, Ints: pads})
		n.Node.Attrs = deleteAttr(n.Node.Attrs, "auto_pad")
	}
	return nil
}

// isSameConv reports whether n is a Conv with auto_pad SAME_UPPER or
// SAME_LOWER (the op layer has checked the attribute's type).
func isSameConv(n *ir.Node) bool {
	if n.OpType != "Conv" || n.Domain != "" {
		return false
	}
	a := n.Attr("auto_pad")
	return a != nil && (string(a.S) == "SAME_UPPER" || string(a.S) == "SAME_LOWER")
}

// deleteAttr is attrs without the one named name.
func deleteAttr(attrs []*ir.Attr, name string) []*ir.Attr {
	out := attrs[:0:0]
	for _, a := range attrs {
		if a.Name != name {
			out = append(out, a)
		}
	}
	return out
}
