package pack

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/bits"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// Check verifies a .bnn model as a reader must, in this order, and wraps
// the sentinel of the first check that fails: the format version
// (ErrNotBNN, ErrVersion), the ai.bincompress opset (ErrNotBNN,
// ErrVersion), the digest (ErrDigest), the layer records (ErrMetadata),
// the graph structure (ErrGraph) and
// each binary layer's attributes against its tensors (ErrLayer).
func Check(m *ir.Model) error {
	if m == nil || m.Graph == nil {
		return fmt.Errorf("pack: %w: no graph", ErrNotBNN)
	}
	if err := checkVersions(m); err != nil {
		return err
	}
	want, ok := m.MetadataValue(KeyDigest)
	if !ok {
		return fmt.Errorf("pack: %w: metadata %s is missing", ErrDigest, KeyDigest)
	}
	if got := Digest(m); got != want {
		return fmt.Errorf("pack: %w: the graph and metadata hash to %s but %s says %.80q", ErrDigest, got, KeyDigest, want)
	}
	recs, err := m.LayerRecords()
	if err != nil {
		return fmt.Errorf("pack: %w: %w", ErrMetadata, err)
	}
	if err := checkRecords(m.Graph, recs); err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("pack: %w: %w", ErrGraph, err)
	}
	inits := m.Graph.InitializerMap()
	for i, n := range m.Graph.Nodes {
		if n.Domain != Domain {
			continue
		}
		if err := checkLayer(n, schema.Label(n, i), inits); err != nil {
			return fmt.Errorf("pack: %w: node %s (%s): %w", ErrLayer, schema.Label(n, i), n.OpType, err)
		}
	}
	return nil
}

// checkRecords holds the layer plan to the graph: a layer recorded as
// binarized is an ai.bincompress node of that name, and a float one is a
// standard node, so that inspect cannot be told a float layer is binary.
func checkRecords(g *ir.Graph, recs []ir.LayerRecord) error {
	nodes := map[string]*ir.Node{}
	for _, n := range g.Nodes {
		nodes[n.Name] = n
	}
	for _, r := range recs {
		n := nodes[r.Node]
		if n == nil {
			return fmt.Errorf("pack: %w: %s names layer %q, which is no node of the graph", ErrMetadata, ir.LayersKey, r.Node)
		}
		if (n.Domain == Domain) != r.Binarized {
			return fmt.Errorf("pack: %w: %s records layer %q as binarized=%v, but the graph runs it as %s", ErrMetadata, ir.LayersKey, r.Node, r.Binarized, n.OpType)
		}
	}
	return nil
}

func checkVersions(m *ir.Model) error {
	v, ok := m.MetadataValue(KeyFormatVersion)
	if !ok {
		return fmt.Errorf("pack: %w: metadata %s is missing", ErrNotBNN, KeyFormatVersion)
	}
	if v == "1" {
		return fmt.Errorf("pack: %w: format version 1, whose digest does not cover the preprocessing and layer plan; "+
			"this reader supports %q: rewrite the file with this version of bincompress", ErrVersion, FormatVersion)
	}
	if v != FormatVersion {
		return fmt.Errorf("pack: %w: format version %.40q, this reader supports %q", ErrVersion, v, FormatVersion)
	}
	switch o := m.Opset(Domain); o {
	case 0:
		return fmt.Errorf("pack: %w: the model does not import opset %s", ErrNotBNN, Domain)
	case DomainVersion:
		return nil
	default:
		return fmt.Errorf("pack: %w: opset %s version %d, this reader supports %d", ErrVersion, Domain, o, DomainVersion)
	}
}

// layerTensors are a binary layer's constant inputs.
type layerTensors struct {
	bits, mult, bias *ir.Tensor
}

func checkLayer(n *ir.Node, label string, inits map[string]*ir.Tensor) error {
	b, err := schema.Bind(n, DomainVersion, label)
	if err != nil {
		return err
	}
	lt, err := tensorsOf(n, inits)
	if err != nil {
		return err
	}
	cols, err := fanIn(b, lt.bits.Shape[0])
	if err != nil {
		return err
	}
	rows := lt.bits.Shape[0]
	if wpr := bits.WordsPerRow(cols); lt.bits.Shape[1] != wpr {
		return fmt.Errorf("W_bits %q has %d words per row, fan-in %d needs %d", lt.bits.Name, lt.bits.Shape[1], cols, wpr)
	}
	return bits.CheckPadding(lt.bits.Data.([]uint64), rows, cols)
}

// fanIn is the row length (weights per output channel) of the binary layer
// b with k rows.
func fanIn(b *schema.Node, k int) (int, error) {
	switch a := b.Attrs.(type) {
	case *schema.BinaryConv:
		return convFanIn(a, k)
	case *schema.BinaryGemm:
		return int(a.InFeatures), nil // the op layer bounds it
	}
	return 0, fmt.Errorf("%s is not a binary layer", b.OpType)
}

// tensorsOf finds and shape-checks W_bits [K, words], multiplier [K] and
// bias [K].
func tensorsOf(n *ir.Node, inits map[string]*ir.Tensor) (layerTensors, error) {
	var lt layerTensors
	if len(n.Inputs) != 4 || len(n.Outputs) != 1 || n.Inputs[0] == "" || n.Outputs[0] == "" {
		return lt, fmt.Errorf("has %d inputs and %d outputs, want 4 and 1", len(n.Inputs), len(n.Outputs))
	}
	want := []struct {
		dst   **ir.Tensor
		role  string
		dtype ir.DType
		rank  int
	}{{&lt.bits, "W_bits", ir.Uint64, 2}, {&lt.mult, "multiplier", ir.Float32, 1}, {&lt.bias, "bias", ir.Float32, 1}}
	for i, w := range want {
		t := inits[n.Inputs[i+1]]
		if t == nil {
			return lt, fmt.Errorf("%s %q is not an initializer", w.role, n.Inputs[i+1])
		}
		if t.DType != w.dtype || len(t.Shape) != w.rank {
			return lt, fmt.Errorf("%s %q is %v%v, want a rank-%d %v tensor", w.role, t.Name, t.DType, t.Shape, w.rank, w.dtype)
		}
		*w.dst = t
	}
	k := lt.bits.Shape[0]
	if k == 0 || lt.mult.Shape[0] != k || lt.bias.Shape[0] != k {
		return lt, fmt.Errorf("W_bits has %d rows, multiplier %d and bias %d values: want the same nonzero count",
			k, lt.mult.Shape[0], lt.bias.Shape[0])
	}
	return lt, nil
}

// maxFanIn bounds a row's length so that sizes never overflow.
const maxFanIn = 1 << 31

// convFanIn checks BinaryConv's attributes (which the op layer has read
// and range-checked) against its K rows and returns C/group·kH·kW.
func convFanIn(a *schema.BinaryConv, k int) (int, error) {
	if int64(k)%a.Group != 0 {
		return 0, fmt.Errorf("group %d does not divide the %d output channels", a.Group, k)
	}
	if err := a.Window.CheckRank(2); err != nil {
		return 0, err
	}
	fan := a.Channels / a.Group
	for _, d := range a.KernelShape {
		if fan *= d; fan > maxFanIn { // each factor is at most 2^31: no overflow
			return 0, fmt.Errorf("fan-in channels/group·kH·kW of %d·%v is too large", a.Channels/a.Group, a.KernelShape)
		}
	}
	return int(fan), nil
}
