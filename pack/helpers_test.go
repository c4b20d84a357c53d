package pack

import (
	"math"
	"math/rand"

	"github.com/bincompress/bincompress/internal/bits"
	"github.com/bincompress/bincompress/ir"
)

// binModel builds binarized float graphs for tests: weights ±m per output
// channel, layer records as package convert writes them.
type binModel struct {
	m    *ir.Model
	rng  *rand.Rand
	recs []ir.LayerRecord
}

func newBinModel(seed int64, shape ...int64) *binModel {
	dims := make([]ir.Dim, len(shape))
	for i, d := range shape {
		dims[i] = ir.Dim{Size: d}
	}
	g := &ir.Graph{Name: "t", Inputs: []*ir.ValueInfo{{Name: "x", DType: ir.Float32, Shape: dims}}}
	return &binModel{
		m:   &ir.Model{IRVersion: 8, OpsetImports: []ir.OpsetImport{{Version: 17}}, Graph: g},
		rng: rand.New(rand.NewSource(seed)),
	}
}

// binary adds a weight whose rows (or columns when colMajor) are ±m_r.
func (b *binModel) binary(name string, rows, cols int, colMajor bool, shape ...int) string {
	w := make([]float32, rows*cols)
	for r := range rows {
		m := float32(0.1 + b.rng.Float64())
		for j := range cols {
			v := m * bits.Sign(float32(b.rng.NormFloat64()))
			if colMajor {
				w[j*rows+r] = v
			} else {
				w[r*cols+j] = v
			}
		}
	}
	b.m.Graph.Initializers = append(b.m.Graph.Initializers, ir.NewFloat32(name, shape, w))
	return name
}

func (b *binModel) float(name string, shape ...int) string {
	w := make([]float32, ir.NumElements(shape))
	for i := range w {
		w[i] = float32(b.rng.NormFloat64())
	}
	b.m.Graph.Initializers = append(b.m.Graph.Initializers, ir.NewFloat32(name, shape, w))
	return name
}

func (b *binModel) layer(op, name string, binarized bool, in []string, out string, attrs ...*ir.Attr) string {
	b.m.Graph.Nodes = append(b.m.Graph.Nodes, &ir.Node{Name: name, OpType: op, Inputs: in, Outputs: []string{out}, Attrs: attrs})
	if op == "Conv" || op == "Gemm" || op == "MatMul" {
		w := b.m.Graph.Initializer(in[1])
		r := ir.LayerRecord{Node: name, Op: op, Weight: in[1], Shape: w.Shape, Binarized: binarized, Scale: "channel"}
		if !binarized {
			r.Scale, r.Reason = "", "named in --keep-float"
		}
		b.recs = append(b.recs, r)
	}
	return out
}

func (b *binModel) done(out string) *ir.Model {
	b.m.Graph.Outputs = []*ir.ValueInfo{{Name: out, DType: ir.Float32}}
	if err := b.m.SetLayerRecords(b.recs); err != nil {
		panic(err)
	}
	return b.m
}

func ints(name string, v ...int64) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrInts, Ints: v} }
func attrInt(name string, v int64) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrInt, I: v} }
func attrFloat(name string, v float32) *ir.Attr {
	return &ir.Attr{Name: name, Type: ir.AttrFloat, F: v}
}

// mixedModel covers a stem conv kept float, a 70-channel conv (not a
// multiple of 64) with bias, a grouped strided dilated conv, a depthwise
// conv, a Gemm with transB = 0, alpha and beta, and a MatMul.
func mixedModel() *ir.Model {
	b := newBinModel(7, 2, 3, 12, 12)
	y := b.layer("Conv", "stem", false, []string{"x", b.float("stem.w", 6, 3, 3, 3)}, "s", ints("pads", 1, 1, 1, 1))
	y = b.layer("Conv", "c70", true, []string{y, b.binary("c70.w", 70, 54, false, 70, 6, 3, 3), b.float("c70.b", 70)}, "c70_out",
		ints("pads", 1, 1, 1, 1))
	y = b.layer("Relu", "r", false, []string{y}, "r_out")
	y = b.layer("Conv", "gconv", true, []string{y, b.binary("gconv.w", 10, 35*4, false, 10, 35, 2, 2)}, "g_out",
		attrInt("group", 2), ints("strides", 2, 2), ints("dilations", 2, 2), ints("pads", 0, 1, 1, 0))
	y = b.layer("Conv", "dw", true, []string{y, b.binary("dw.w", 10, 9, false, 10, 1, 3, 3)}, "dw_out",
		attrInt("group", 10), &ir.Attr{Name: "auto_pad", Type: ir.AttrString, S: []byte("SAME_UPPER")})
	y = b.layer("GlobalAveragePool", "gap", false, []string{y}, "gap_out")
	y = b.layer("Flatten", "flat", false, []string{y}, "flat_out", attrInt("axis", 1))
	y = b.layer("Gemm", "fc1", true, []string{y, b.binary("fc1.w", 65, 10, true, 10, 65), b.float("fc1.c", 65)}, "fc1_out",
		attrFloat("alpha", 0.5), attrFloat("beta", 2))
	y = b.layer("MatMul", "fc2", true, []string{y, b.binary("fc2.w", 7, 65, true, 65, 7)}, "fc2_out")
	y = b.layer("Gemm", "fc3", true, []string{y, b.binary("fc3.w", 3, 7, false, 3, 7)}, "logits", attrInt("transB", 1))
	return b.done(y)
}

func maxAbsDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}
