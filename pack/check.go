package pack

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/bits"
	"github.com/bincompress/bincompress/ir"
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
	if _, err := m.LayerRecords(); err != nil {
		return fmt.Errorf("pack: %w: %w", ErrMetadata, err)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("pack: %w: %w", ErrGraph, err)
	}
	inits := m.Graph.InitializerMap()
	for i, n := range m.Graph.Nodes {
		if n.Domain != Domain {
			continue
		}
		if err := checkLayer(n, inits); err != nil {
			return fmt.Errorf("pack: %w: node %s (%s): %w", ErrLayer, label(n, i), n.OpType, err)
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

func label(n *ir.Node, i int) string {
	if n.Name != "" {
		return fmt.Sprintf("%q", n.Name)
	}
	return fmt.Sprintf("#%d", i)
}

// layerTensors are a binary layer's constant inputs.
type layerTensors struct {
	bits, mult, bias *ir.Tensor
}

func checkLayer(n *ir.Node, inits map[string]*ir.Tensor) error {
	lt, err := tensorsOf(n, inits)
	if err != nil {
		return err
	}
	var cols int
	switch n.OpType {
	case OpBinaryConv:
		cols, err = convFanIn(n, lt.bits.Shape[0])
	case OpBinaryGemm:
		cols, err = gemmFanIn(n)
	default:
		return fmt.Errorf("unknown operator of domain %s", Domain)
	}
	if err != nil {
		return err
	}
	rows := lt.bits.Shape[0]
	if wpr := bits.WordsPerRow(cols); lt.bits.Shape[1] != wpr {
		return fmt.Errorf("W_bits %q has %d words per row, fan-in %d needs %d", lt.bits.Name, lt.bits.Shape[1], cols, wpr)
	}
	return bits.CheckPadding(lt.bits.Data.([]uint64), rows, cols)
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

// convFanIn checks BinaryConv's attributes against its K rows and returns
// C/group·kH·kW.
func convFanIn(n *ir.Node, k int) (int, error) {
	ks := n.Ints("kernel_shape", nil)
	c := n.Int("channels", 0)
	g := n.Int("group", 1)
	switch {
	case len(ks) != 2 || ks[0] <= 0 || ks[1] <= 0 || ks[0] > maxFanIn || ks[1] > maxFanIn:
		return 0, fmt.Errorf("kernel_shape %v is not two positive sizes", ks)
	case c <= 0 || c > maxFanIn:
		return 0, fmt.Errorf("channels %d is not a positive count", c)
	case g <= 0 || c%g != 0 || int64(k)%g != 0:
		return 0, fmt.Errorf("group %d does not divide channels %d and the %d output channels", g, c, k)
	}
	if err := checkConvAttrs(n); err != nil {
		return 0, err
	}
	fan := c / g
	for _, d := range ks {
		if fan *= d; fan > maxFanIn { // each factor is at most 2^31: no overflow
			return 0, fmt.Errorf("fan-in channels/group·kH·kW of %d·%v is too large", c/g, ks)
		}
	}
	return int(fan), nil
}

func checkConvAttrs(n *ir.Node) error {
	for _, name := range []string{"strides", "dilations"} {
		if v := n.Ints(name, []int64{1, 1}); len(v) != 2 || v[0] <= 0 || v[1] <= 0 {
			return fmt.Errorf("%s %v is not two positive values", name, v)
		}
	}
	if p := n.Ints("pads", []int64{0, 0, 0, 0}); len(p) != 4 || p[0] < 0 || p[1] < 0 || p[2] < 0 || p[3] < 0 {
		return fmt.Errorf("pads %v is not four nonnegative values", p)
	}
	switch ap := n.String("auto_pad", "NOTSET"); ap {
	case "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER":
		return nil
	default:
		return fmt.Errorf("auto_pad %.40q is not NOTSET, VALID, SAME_UPPER or SAME_LOWER", ap)
	}
}

func gemmFanIn(n *ir.Node) (int, error) {
	k := n.Int("in_features", 0)
	if k <= 0 || k > maxFanIn {
		return 0, fmt.Errorf("in_features %d is not a positive count", k)
	}
	if t := n.Int("transA", 0); t != 0 && t != 1 {
		return 0, fmt.Errorf("transA %d is not 0 or 1", t)
	}
	return int(k), nil
}
