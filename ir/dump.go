package ir

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Dump writes a deterministic, human-readable listing of the model: the
// golden-file format of the conversion passes' tests. Initializers are shown
// with their shape and a short checksum of their values rather than in full.
func Dump(w io.Writer, m *Model) error {
	var b strings.Builder
	fmt.Fprintf(&b, "model ir=%d producer=%q opsets=%v\n", m.IRVersion, m.ProducerName, m.OpsetImports)
	for _, kv := range m.Metadata {
		fmt.Fprintf(&b, "meta %s=%q\n", kv.Key, kv.Value)
	}
	if m.Graph != nil {
		dumpGraph(&b, m.Graph)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func dumpGraph(b *strings.Builder, g *Graph) {
	for _, v := range g.Inputs {
		fmt.Fprintf(b, "input %s %v%s\n", v.Name, v.DType, FormatDims(v.Shape))
	}
	for _, t := range g.Initializers {
		fmt.Fprintf(b, "init %s %v%v %s\n", t.Name, t.DType, t.Shape, summary(t))
	}
	for _, n := range g.Nodes {
		op := n.OpType
		if n.Domain != "" {
			op = n.Domain + "." + op
		}
		fmt.Fprintf(b, "node %s %s(%s) -> %s", n.Name, op, strings.Join(n.Inputs, ", "), strings.Join(n.Outputs, ", "))
		for _, a := range n.Attrs {
			fmt.Fprintf(b, " %s=%s", a.Name, attrString(a))
		}
		b.WriteByte('\n')
	}
	for _, v := range g.Outputs {
		fmt.Fprintf(b, "output %s %v%s\n", v.Name, v.DType, FormatDims(v.Shape))
	}
}

// FormatDims writes a shape as "[batch 3 224 224]", "?" for an unknown
// dimension.
func FormatDims(dims []Dim) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = d.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func attrString(a *Attr) string {
	switch a.Type {
	case AttrFloat:
		return fmt.Sprint(a.F)
	case AttrInt:
		return fmt.Sprint(a.I)
	case AttrString:
		return fmt.Sprintf("%q", a.S)
	case AttrFloats:
		return fmt.Sprint(a.Floats)
	case AttrInts:
		return fmt.Sprint(a.Ints)
	case AttrTensor:
		return fmt.Sprintf("tensor%v%v", a.T.DType, a.T.Shape)
	}
	return fmt.Sprintf("<%d>", a.Type)
}

// summary prints sum and sum of squares of numeric data, rounded so that the
// dump is stable across platforms, or the element count for other types.
func summary(t *Tensor) string {
	f, err := t.Float32s()
	if err != nil {
		return fmt.Sprintf("n=%d", t.Len())
	}
	var s, s2 float64
	for _, x := range f {
		s += float64(x)
		s2 += float64(x) * float64(x)
	}
	return fmt.Sprintf("sum=%.4g sumsq=%.4g", round6(s), round6(s2))
}

func round6(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	p := math.Pow(10, 5-math.Floor(math.Log10(math.Abs(x))))
	return math.Round(x*p) / p
}
