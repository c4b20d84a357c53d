package pack

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/bits"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// Unpacked returns the binarized float graph of a .bnn: each BinaryConv
// becomes a Conv with float weights multiplier[k]·(±1) and bias; each
// BinaryGemm becomes a Gemm (transB = 1) when the layer record says it
// came from a Gemm or transA is set, and a MatMul followed by an Add
// otherwise. The ai.bincompress opset import, the format version and
// digest metadata and the run's reports (isRunReport) are removed; other
// metadata stays. m is checked first
// and not modified.
func Unpacked(m *ir.Model) (*ir.Model, error) {
	if err := Check(m); err != nil {
		return nil, err
	}
	recs, err := m.LayerRecords()
	if err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	fromGemm := map[string]bool{}
	for _, r := range recs {
		fromGemm[r.Node] = r.Op == "Gemm"
	}
	c := cloneModel(m)
	g := c.Graph
	used := g.Names()
	var nodes []*ir.Node
	for _, n := range g.Nodes {
		if n.Domain != Domain {
			nodes = append(nodes, n)
			continue
		}
		nodes = append(nodes, unpackNode(g, n, fromGemm[n.Name], used)...)
	}
	g.Nodes = nodes
	for _, n := range m.Graph.Nodes {
		if n.Domain == Domain {
			for _, in := range n.Inputs[1:] {
				g.DropUnusedInitializer(in)
			}
		}
	}
	c.OpsetImports = deleteWhere(c.OpsetImports, func(o ir.OpsetImport) bool { return o.Domain == Domain })
	c.Metadata = deleteWhere(c.Metadata, func(kv ir.KeyValue) bool { return kv.Key == KeyFormatVersion || kv.Key == KeyDigest || isRunReport(kv) })
	return c, nil
}

// unpackNode returns the float nodes that replace binary node n (already
// checked) and adds their weights to g.
func unpackNode(g *ir.Graph, n *ir.Node, fromGemm bool, used map[string]bool) []*ir.Node {
	b, _ := schema.Bind(n, DomainVersion, n.Name) // Check has bound it
	wb := g.Initializer(n.Inputs[1])
	mult := g.Initializer(n.Inputs[2]).Data.([]float32)
	rows := wb.Shape[0]
	cols, _ := fanIn(b, rows) // Check has checked it
	conv, isConv := b.Attrs.(*schema.BinaryConv)
	w := make([]float32, rows*cols)
	bits.UnpackRows(w, wb.Data.([]uint64), rows, cols, mult)
	wname := ir.UniqueName(used, n.Name+"_weight")
	x, bias, out := n.Inputs[0], n.Inputs[3], n.Outputs
	if isConv {
		ks := conv.KernelShape
		g.Initializers = append(g.Initializers, ir.NewFloat32(wname, []int{rows, cols / int(ks[0]*ks[1]), int(ks[0]), int(ks[1])}, w))
		conv := &ir.Node{Name: n.Name, OpType: "Conv", DocString: n.DocString, Inputs: []string{x, wname, bias}, Outputs: out}
		for _, a := range n.Attrs {
			if a.Name != "channels" {
				conv.Attrs = append(conv.Attrs, a)
			}
		}
		return []*ir.Node{conv}
	}
	if transA := b.Attrs.(*schema.BinaryGemm).TransA; fromGemm || transA {
		g.Initializers = append(g.Initializers, ir.NewFloat32(wname, []int{rows, cols}, w))
		gemm := &ir.Node{Name: n.Name, OpType: "Gemm", DocString: n.DocString, Inputs: []string{x, wname, bias}, Outputs: out,
			Attrs: []*ir.Attr{{Name: "transB", Type: ir.AttrInt, I: 1}}}
		if transA {
			gemm.Attrs = append(gemm.Attrs, &ir.Attr{Name: "transA", Type: ir.AttrInt, I: 1})
		}
		return []*ir.Node{gemm}
	}
	wt := make([]float32, len(w)) // MatMul wants [in_features, outputs]
	for r := range rows {
		for j := range cols {
			wt[j*rows+r] = w[r*cols+j]
		}
	}
	g.Initializers = append(g.Initializers, ir.NewFloat32(wname, []int{cols, rows}, wt))
	mm := ir.UniqueName(used, n.Name+"_matmul")
	return []*ir.Node{
		{Name: n.Name, OpType: "MatMul", DocString: n.DocString, Inputs: []string{x, wname}, Outputs: []string{mm}},
		{Name: ir.UniqueName(used, n.Name+"_add"), OpType: "Add", Inputs: []string{mm, bias}, Outputs: out},
	}
}
