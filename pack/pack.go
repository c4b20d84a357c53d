package pack

import (
	"errors"
	"fmt"
	"math"

	"github.com/bincompress/bincompress/internal/bits"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// Pack returns the .bnn form of a binarized float graph: every layer that
// the ir.LayersKey records mark as binarized becomes a BinaryConv or
// BinaryGemm with packed weights, the ai.bincompress opset is imported,
// the format version and digest are set, and a verify report or training
// curve m carries from an earlier .bnn is dropped (isRunReport). m is not
// modified.
func Pack(m *ir.Model) (*ir.Model, error) {
	if m == nil || m.Graph == nil {
		return nil, errors.New("pack: model has no graph")
	}
	recs, err := m.LayerRecords()
	if err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	if recs == nil {
		return nil, fmt.Errorf("pack: model has no %s metadata (binarize it with package convert first)", ir.LayersKey)
	}
	c := cloneModel(m)
	c.Metadata = deleteWhere(c.Metadata, isRunReport)
	used := c.Graph.Names()
	for _, r := range recs {
		if !r.Binarized {
			continue
		}
		if err := packLayer(c, r, used); err != nil {
			return nil, fmt.Errorf("pack: layer %q: %w", r.Node, err)
		}
	}
	if c.Opset(Domain) == 0 {
		c.OpsetImports = append(c.OpsetImports, ir.OpsetImport{Domain: Domain, Version: DomainVersion})
	}
	c.SetMetadata(KeyFormatVersion, FormatVersion)
	c.SetMetadata(KeyDigest, Digest(c))
	if err := Check(c); err != nil {
		return nil, fmt.Errorf("pack: the packed model fails its own check: %w", err)
	}
	return c, nil
}

// packed is one binary layer's tensors: rows of bits, one multiplier and one
// bias per output channel.
type packed struct {
	words      []uint64
	rows, cols int
	mult, bias []float32
}

func packLayer(m *ir.Model, r ir.LayerRecord, used map[string]bool) error {
	g := m.Graph
	i := nodeIndex(g, r.Node)
	if i < 0 {
		return errors.New("no node of that name")
	}
	n := g.Nodes[i]
	w := g.Initializer(n.Input(1))
	if w == nil || w.DType != ir.Float32 || w.Validate() != nil {
		return fmt.Errorf("weight %q is not a float32 initializer", n.Input(1))
	}
	var (
		p   *packed
		bin *ir.Node
		err error
	)
	switch {
	case n.OpType == "Conv" && len(w.Shape) == 4:
		p, bin, err = packConv(m, n, w)
	case (n.OpType == "Gemm" || n.OpType == "MatMul") && len(w.Shape) == 2:
		p, bin, err = packDense(m, n, w)
	default:
		err = fmt.Errorf("%s with a weight of shape %v cannot be packed", n.OpType, w.Shape)
	}
	if err != nil {
		return err
	}
	install(g, i, n, bin, p, used)
	return nil
}

// install adds p's tensors, replaces node i by bin and drops the tensors
// only the old node read.
func install(g *ir.Graph, i int, old, bin *ir.Node, p *packed, used map[string]bool) {
	bitsName := ir.UniqueName(used, old.Name+"_bits")
	multName := ir.UniqueName(used, old.Name+"_multiplier")
	biasName := ir.UniqueName(used, old.Name+"_bias")
	g.Initializers = append(g.Initializers,
		&ir.Tensor{Name: bitsName, DType: ir.Uint64, Shape: []int{p.rows, bits.WordsPerRow(p.cols)}, Data: p.words},
		ir.NewFloat32(multName, []int{p.rows}, p.mult),
		ir.NewFloat32(biasName, []int{p.rows}, p.bias))
	bin.Name, bin.Domain, bin.DocString = old.Name, Domain, old.DocString
	bin.Inputs = []string{old.Inputs[0], bitsName, multName, biasName}
	bin.Outputs = old.Outputs
	g.Nodes[i] = bin
	for _, in := range old.Inputs[1:] {
		g.DropUnusedInitializer(in)
	}
}

func packConv(m *ir.Model, n *ir.Node, w *ir.Tensor) (*packed, *ir.Node, error) {
	a, err := schema.AttrsOf[schema.Conv](m, n)
	if err != nil {
		return nil, nil, err
	}
	k, cols := w.Shape[0], ir.NumElements(w.Shape[1:])
	p, err := packRows(w.Data.([]float32), k, cols, false)
	if err != nil {
		return nil, nil, err
	}
	if p.bias, err = biasOf(m.Graph, n, k, 1); err != nil {
		return nil, nil, err
	}
	group := a.Group
	bin := &ir.Node{OpType: OpBinaryConv}
	for _, a := range n.Attrs {
		switch a.Name {
		case "auto_pad", "dilations", "group", "pads", "strides":
			bin.Attrs = append(bin.Attrs, a)
		}
	}
	bin.SetAttr(&ir.Attr{Name: "kernel_shape", Type: ir.AttrInts, Ints: []int64{int64(w.Shape[2]), int64(w.Shape[3])}})
	bin.SetAttr(&ir.Attr{Name: "channels", Type: ir.AttrInt, I: int64(w.Shape[1]) * group})
	return p, bin, nil
}

func packDense(m *ir.Model, n *ir.Node, w *ir.Tensor) (*packed, *ir.Node, error) {
	a := &schema.Gemm{Alpha: 1, Beta: 1} // MatMul: Y = A·B
	if n.OpType == "Gemm" {
		var err error
		if a, err = schema.AttrsOf[schema.Gemm](m, n); err != nil {
			return nil, nil, err
		}
	}
	transposed := !a.TransB
	rows, cols := w.Shape[0], w.Shape[1]
	if transposed {
		rows, cols = cols, rows
	}
	p, err := packRows(w.Data.([]float32), rows, cols, transposed)
	if err != nil {
		return nil, nil, err
	}
	bin := &ir.Node{OpType: OpBinaryGemm}
	bin.SetAttr(&ir.Attr{Name: "in_features", Type: ir.AttrInt, I: int64(cols)})
	if n.OpType == "MatMul" {
		p.bias = make([]float32, rows)
		return p, bin, nil
	}
	for i := range p.mult {
		p.mult[i] = float32(float64(p.mult[i]) * float64(a.Alpha))
	}
	if p.bias, err = biasOf(m.Graph, n, rows, a.Beta); err != nil {
		return nil, nil, err
	}
	if a.TransA {
		bin.SetAttr(&ir.Attr{Name: "transA", Type: ir.AttrInt, I: 1})
	}
	return p, bin, nil
}

// packRows packs a weight whose rows are ±m_r: row r is w[r*cols:(r+1)*cols]
// or, when transposed, column r of a [cols, rows] matrix.
func packRows(w []float32, rows, cols int, transposed bool) (*packed, error) {
	p := &packed{rows: rows, cols: cols, mult: make([]float32, rows)}
	p.words = make([]uint64, rows*bits.WordsPerRow(cols))
	row := make([]float32, cols)
	for r := range rows {
		for j := range row {
			if transposed {
				row[j] = w[j*rows+r]
			} else {
				row[j] = w[r*cols+j]
			}
		}
		m, err := rowMagnitude(row)
		if err != nil {
			return nil, fmt.Errorf("output channel %d: %w", r, err)
		}
		p.mult[r] = m
		wpr := bits.WordsPerRow(cols)
		bits.PackRow(p.words[r*wpr:(r+1)*wpr], row)
	}
	return p, nil
}

// rowMagnitude returns m when every element of row is +m or −m.
func rowMagnitude(row []float32) (float32, error) {
	m := float32(math.Abs(float64(row[0])))
	for j, x := range row {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return 0, fmt.Errorf("%w: element %d is %v; weights must be finite", ErrNotBinary, j, x)
		}
		if float32(math.Abs(float64(x))) != m {
			return 0, fmt.Errorf("%w: element %d is %v but element 0 is ±%v", ErrNotBinary, j, x, m)
		}
	}
	return m, nil
}

// biasOf returns beta·(the layer's bias input) per output channel, zeros
// when the layer has none.
func biasOf(g *ir.Graph, n *ir.Node, k int, beta float32) ([]float32, error) {
	out := make([]float32, k)
	name := n.Input(2)
	if name == "" {
		return out, nil
	}
	t := g.Initializer(name)
	if t == nil || t.DType != ir.Float32 || t.Validate() != nil {
		return nil, fmt.Errorf("bias %q is not a float32 initializer", name)
	}
	data := t.Data.([]float32)
	switch {
	case len(data) == k:
		copy(out, data)
	case len(data) == 1:
		for i := range out {
			out[i] = data[0]
		}
	default:
		return nil, fmt.Errorf("bias %q has shape %v, not one value per output channel (%d)", name, t.Shape, k)
	}
	for i := range out {
		out[i] *= beta
	}
	return out, nil
}

func nodeIndex(g *ir.Graph, name string) int {
	for i, n := range g.Nodes {
		if n.Name == name {
			return i
		}
	}
	return -1
}
