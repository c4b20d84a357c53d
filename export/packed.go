package export

import (
	"fmt"
	"strconv"

	"github.com/bincompress/bincompress/ir"
)

// consts are the names of the constants every unpack subgraph shares:
// [1, 2, 4, ..., 128] and 2.
type consts struct{ pow2, two string }

// ONNXPacked returns m as standard ONNX whose binary weights are stored as
// bits: each layer's signs, flattened in the weight's row-major order, eight
// to a UINT8 (element e is bit e%8 of byte e/8, least significant first; 1
// is +1). At load a subgraph of standard float ops rebuilds the weight:
//
//	q   = Floor(Cast(bytes) / [1,2,4,...,128])   // [n, 8]: byte >> bit
//	bit = q − 2·Floor(q / 2)                     // 0 or 1
//	B   = Reshape(Slice(Reshape(bit, [-1]), 0, numel), shape)
//	W   = B·(2·multiplier) − multiplier          // exactly ±multiplier
//
// Only Cast, Div, Floor, Mul, Sub, Reshape and (when the bit count is not a
// multiple of 8) Slice are used, all in every ONNX opset from 7 on, so any
// runtime loads it; onnxruntime folds the subgraph into constants once at
// session start. The model needs a default-domain opset of at least 7.
func ONNXPacked(m *ir.Model) (*ir.Model, error) {
	u, sites, err := unpacked(m)
	if err != nil {
		return nil, err
	}
	opset := u.Opset("")
	if opset < 7 {
		return nil, fmt.Errorf("export: onnx-packed needs opset 7 or later, the model imports %d", opset)
	}
	g := u.Graph
	used := g.Names()
	shared := &subgraph{g: g, used: used, base: "bnn_unpack"}
	c := consts{
		pow2: shared.init(ir.NewFloat32("bnn_unpack_pow2", []int{8}, []float32{1, 2, 4, 8, 16, 32, 64, 128})),
		two:  shared.init(ir.NewFloat32("bnn_unpack_two", nil, []float32{2})),
	}
	var pre []*ir.Node
	for _, s := range sites {
		pre = append(pre, unpackSubgraph(g, s, c, opset, used)...)
	}
	g.Nodes = append(pre, g.Nodes...)
	return declareInitializers(u), nil
}

// unpackSubgraph stores s's weight as bits and returns the nodes that
// rebuild it under its old name. The subgraph's own values get short names
// (u<layer>_<n>): in a ResNet-18 the names would otherwise outweigh the
// bits.
func unpackSubgraph(g *ir.Graph, s site, c consts, opset int64, used map[string]bool) []*ir.Node {
	w := s.weight
	numel := ir.NumElements(w.Shape)
	packed := packBytes(s.signs())
	removeInitializer(g, w.Name)
	b := &subgraph{g: g, used: used, base: "u" + strconv.Itoa(s.index)}
	bytes := b.init(&ir.Tensor{Name: b.base + "_bits", DType: ir.Uint8, Shape: []int{len(packed), 1}, Data: packed})
	twice := make([]float32, len(s.layer.mult))
	for i, v := range s.layer.mult {
		twice[i] = 2 * v
	}
	scale := b.init(ir.NewFloat32(b.base+"_m", s.scaleShape(), scaleData(s)))
	scale2 := b.init(ir.NewFloat32(b.base+"_2m", s.scaleShape(), twice))
	f := b.node("Cast", []string{bytes}, &ir.Attr{Name: "to", Type: ir.AttrInt, I: int64(ir.Float32)})
	q := b.node("Floor", []string{b.node("Div", []string{f, c.pow2})})
	h := b.node("Floor", []string{b.node("Div", []string{q, c.two})})
	bit := b.node("Sub", []string{q, b.node("Mul", []string{h, c.two})})
	if 8*len(packed) != numel {
		flat := b.node("Reshape", []string{bit, b.ints("flat", -1)})
		bit = b.slice(flat, numel, opset)
	}
	shape := make([]int64, len(w.Shape))
	for i, d := range w.Shape {
		shape[i] = int64(d)
	}
	wr := b.node("Reshape", []string{bit, b.ints("shape", shape...)})
	b.named("Sub", []string{b.node("Mul", []string{wr, scale2}), scale}, w.Name)
	return b.nodes
}

// scaleData is the layer's multiplier, one per output channel.
func scaleData(s site) []float32 { return append([]float32(nil), s.layer.mult...) }

// packBytes packs ±1 values eight to a byte, least significant bit first,
// bit 1 for +1; the last byte's unused bits are 0.
func packBytes(signs []float32) []uint8 {
	out := make([]uint8, (len(signs)+7)/8)
	for e, v := range signs {
		if v > 0 {
			out[e/8] |= 1 << (e % 8)
		}
	}
	return out
}

// subgraph appends nodes and initializers named after one weight.
type subgraph struct {
	g     *ir.Graph
	used  map[string]bool
	base  string
	nodes []*ir.Node
}

func (b *subgraph) fresh(suffix string) string {
	return ir.UniqueName(b.used, b.base+"_"+suffix)
}

func (b *subgraph) init(t *ir.Tensor) string {
	t.Name = b.fresh(t.Name[len(b.base)+1:])
	b.g.Initializers = append(b.g.Initializers, t)
	return t.Name
}

func (b *subgraph) ints(suffix string, v ...int64) string {
	return b.init(ir.NewInt64(b.base+"_"+suffix, []int{len(v)}, v))
}

// node appends an op with one fresh output and returns the output's name,
// which also names the node.
func (b *subgraph) node(op string, in []string, attrs ...*ir.Attr) string {
	out := b.fresh(strconv.Itoa(len(b.nodes)))
	b.nodes = append(b.nodes, &ir.Node{Name: out, OpType: op, Inputs: in, Outputs: []string{out}, Attrs: attrs})
	return out
}

// named appends an op whose output is out; the node is named base_op.
func (b *subgraph) named(op string, in []string, out string, attrs ...*ir.Attr) string {
	b.nodes = append(b.nodes, &ir.Node{Name: b.fresh(op), OpType: op, Inputs: in, Outputs: []string{out}, Attrs: attrs})
	return out
}

// slice keeps the first n elements of a 1-D value, in the Slice form of the
// opset (attributes before opset 10, inputs from 10).
func (b *subgraph) slice(x string, n int, opset int64) string {
	if opset < 10 {
		return b.node("Slice", []string{x},
			&ir.Attr{Name: "axes", Type: ir.AttrInts, Ints: []int64{0}},
			&ir.Attr{Name: "starts", Type: ir.AttrInts, Ints: []int64{0}},
			&ir.Attr{Name: "ends", Type: ir.AttrInts, Ints: []int64{int64(n)}})
	}
	return b.node("Slice", []string{x, b.ints("starts", 0), b.ints("ends", int64(n)), b.ints("axes", 0)})
}
