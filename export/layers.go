package export

import (
	"errors"
	"fmt"
	"slices"

	"github.com/bincompress/bincompress/internal/bits"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
	"github.com/bincompress/bincompress/pack"
)

// binLayer is one binary layer of a .bnn: rows output channels of cols
// packed signs each (row-padded words as in internal/bits), and one
// multiplier and bias per row.
type binLayer struct {
	node       *ir.Node
	rows, cols int
	words      []uint64
	mult, bias []float32
}

// sign is the ±1 the packed bit of row r, column j stands for.
func (l *binLayer) sign(r, j int) float32 {
	w := l.words[r*bits.WordsPerRow(l.cols)+j/bits.WordBits]
	if w>>(j%bits.WordBits)&1 != 0 {
		return 1
	}
	return -1
}

// binaryLayers checks m as a .bnn and returns its binary layers in graph
// order.
func binaryLayers(m *ir.Model) ([]*binLayer, error) {
	if err := pack.Check(m); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	inits := m.Graph.InitializerMap()
	var out []*binLayer
	for _, n := range m.Graph.Nodes {
		if n.Domain != pack.Domain {
			continue
		}
		l := &binLayer{node: n}
		wb := inits[n.Inputs[1]]
		l.rows, l.words = wb.Shape[0], wb.Data.([]uint64)
		l.mult = inits[n.Inputs[2]].Data.([]float32)
		l.bias = inits[n.Inputs[3]].Data.([]float32)
		cols, err := fanIn(m, n)
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		l.cols = cols
		out = append(out, l)
	}
	return out, nil
}

// fanIn is a checked binary node's row length.
func fanIn(m *ir.Model, n *ir.Node) (int, error) {
	if n.OpType == pack.OpBinaryConv {
		a, err := schema.AttrsOf[schema.BinaryConv](m, n)
		if err != nil {
			return 0, err
		}
		return a.FanIn(), nil
	}
	a, err := schema.AttrsOf[schema.BinaryGemm](m, n)
	if err != nil {
		return 0, err
	}
	return int(a.InFeatures), nil
}

// site is where pack.Unpacked put a binary layer's float weight: the
// initializer and whether it is stored transposed ([cols, rows], MatMul).
type site struct {
	index      int // the layer's position among the binary layers
	layer      *binLayer
	weight     *ir.Tensor
	transposed bool
}

// signs returns the layer's ±1 weights in the site's layout.
func (s site) signs() []float32 {
	l := s.layer
	out := make([]float32, l.rows*l.cols)
	for r := range l.rows {
		for j := range l.cols {
			if s.transposed {
				out[j*l.rows+r] = l.sign(r, j)
			} else {
				out[r*l.cols+j] = l.sign(r, j)
			}
		}
	}
	return out
}

// weightShape is the shape of the weight in the site's layout.
func (s site) weightShape() []int {
	if s.transposed {
		return []int{s.layer.cols, s.layer.rows}
	}
	return s.weight.Shape
}

// scaleShape is the shape of the multiplier broadcast against the weight:
// [K,1,...] along the output-channel axis.
func (s site) scaleShape() []int {
	shape := make([]int, len(s.weightShape()))
	for i := range shape {
		shape[i] = 1
	}
	if s.transposed {
		shape[len(shape)-1] = s.layer.rows
	} else {
		shape[0] = s.layer.rows
	}
	return shape
}

// unpacked returns pack.Unpacked(m), its SAME auto_pad made explicit pads
// (explicitPads), and, for each binary layer of m, where its float weight
// went. Layers are matched by output name: Unpacked keeps
// the binary node's output on the Conv or Gemm, or on the Add after a
// MatMul.
func unpacked(m *ir.Model) (*ir.Model, []site, error) {
	layers, err := binaryLayers(m)
	if err != nil {
		return nil, nil, err
	}
	u, err := pack.Unpacked(m)
	if err != nil {
		return nil, nil, fmt.Errorf("export: %w", err)
	}
	if err := explicitPads(u); err != nil {
		return nil, nil, err
	}
	producers := u.Graph.Producers()
	inits := u.Graph.InitializerMap()
	sites := make([]site, 0, len(layers))
	for i, l := range layers {
		n := producers[l.node.Outputs[0]]
		s := site{index: i, layer: l}
		if n != nil && n.OpType == "Add" {
			n, s.transposed = producers[n.Input(0)], true
		}
		if n == nil || inits[n.Input(1)] == nil {
			return nil, nil, fmt.Errorf("export: node %q: %w", l.node.Name, errors.New("cannot find its unpacked weight"))
		}
		s.weight = inits[n.Input(1)]
		sites = append(sites, s)
	}
	return u, sites, nil
}

// ONNX returns m as standard ONNX: each binary layer becomes a Conv, Gemm
// or MatMul+Add with float weights multiplier[k]·(±1) and its bias
// (pack.Unpacked). The ai.bincompress import and the .bnn format metadata
// are removed.
func ONNX(m *ir.Model) (*ir.Model, error) {
	u, _, err := unpacked(m)
	if err != nil {
		return nil, err
	}
	return declareInitializers(u), nil
}

// declareInitializers lists every initializer among the graph inputs when
// the model's IR version is below 4, which requires it (onnxruntime
// refuses such a model otherwise); later versions need nothing.
func declareInitializers(m *ir.Model) *ir.Model {
	if m.IRVersion >= 4 {
		return m
	}
	g := m.Graph
	declared := map[string]bool{}
	for _, v := range g.Inputs {
		declared[v.Name] = true
	}
	for _, t := range g.Initializers {
		if !declared[t.Name] {
			g.Inputs = append(g.Inputs, &ir.ValueInfo{Name: t.Name, DType: t.DType, Shape: schema.Dims(t.Shape)})
		}
	}
	return m
}

// replaceInitializer removes the initializer named name from g.
func removeInitializer(g *ir.Graph, name string) {
	out := g.Initializers[:0:0]
	for _, t := range g.Initializers {
		if t.Name != name {
			out = append(out, t)
		}
	}
	g.Initializers = out
}

// removeIfUnused removes initializer name when no node reads it any more:
// onnxruntime warns about an unused one each time it loads the model.
func removeIfUnused(g *ir.Graph, name string) {
	for _, n := range g.Nodes {
		if slices.Contains(n.Inputs, name) {
			return
		}
	}
	removeInitializer(g, name)
}
