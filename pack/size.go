package pack

import (
	"errors"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// Sizes counts the tensor bytes of a model by part, as stored in ONNX
// raw_data (element size times count). The encoded file is larger by its
// protobuf overhead (names, shapes, attributes, metadata, framing).
type Sizes struct {
	PackedBits   int64 // W_bits tensors of binary layers
	MultBias     int64 // multiplier and bias tensors of binary layers
	FloatWeights int64 // weights of layers kept float (Conv, Gemm, MatMul)
	OtherFloat   int64 // every other initializer (BatchNormalization, biases, ...)
}

// Tensors is the sum of the parts.
func (s Sizes) Tensors() int64 { return s.PackedBits + s.MultBias + s.FloatWeights + s.OtherFloat }

// Measure sorts every initializer of m into one part.
func Measure(m *ir.Model) Sizes {
	var s Sizes
	if m == nil || m.Graph == nil {
		return s
	}
	role := map[string]*int64{}
	for _, n := range m.Graph.Nodes {
		switch {
		case n.Domain == Domain && len(n.Inputs) == 4:
			role[n.Inputs[1]] = &s.PackedBits
			role[n.Inputs[2]] = &s.MultBias
			role[n.Inputs[3]] = &s.MultBias
		case n.OpType == "Conv" || n.OpType == "Gemm" || n.OpType == "MatMul":
			if n.Input(1) != "" && role[n.Input(1)] == nil {
				role[n.Input(1)] = &s.FloatWeights
			}
		}
	}
	for _, t := range m.Graph.Initializers {
		part := role[t.Name]
		if part == nil {
			part = &s.OtherFloat
		}
		*part += tensorSize(t)
	}
	return s
}

// Parameters counts m's parameters as they are counted in the float model:
// the elements of every initializer, except that a binary layer's W_bits
// counts its K rows of fan-in weights, one per weight, not its uint64
// words (64 weights each). m must pass Check.
func Parameters(m *ir.Model) (int64, error) {
	inits := m.Graph.InitializerMap()
	weights := map[string]int64{}
	for i, n := range m.Graph.Nodes {
		if n.Domain != Domain {
			continue
		}
		b, err := schema.Bind(n, DomainVersion, schema.Label(n, i))
		if err != nil {
			return 0, err
		}
		lt, err := tensorsOf(n, inits)
		if err != nil {
			return 0, err
		}
		k := lt.bits.Shape[0]
		cols, err := fanIn(b, k)
		if err != nil {
			return 0, err
		}
		weights[lt.bits.Name] = int64(k) * int64(cols)
	}
	var total int64
	for _, t := range m.Graph.Initializers {
		n, ok := weights[t.Name]
		if !ok {
			n = int64(ir.NumElements(t.Shape))
		}
		total += n
	}
	return total, nil
}

func tensorSize(t *ir.Tensor) int64 {
	if t.DType == ir.String {
		return int64(len(tensorBytes(t)))
	}
	return int64(t.Len()) * int64(t.DType.Size())
}

// LayerInfo describes one Conv, Gemm, MatMul or binary layer of a model
// for inspect: what it is, what conversion decided and its bytes.
type LayerInfo struct {
	Node       string `json:"node"`
	Op         string `json:"op"`        // op type in the model (BinaryConv, Conv, ...)
	SourceOp   string `json:"source_op"` // op type before packing, from the records
	Shape      []int  `json:"shape"`     // weight shape before packing
	Binarized  bool   `json:"binarized"`
	Scale      string `json:"scale,omitempty"`
	Reason     string `json:"reason,omitempty"`
	FoldedBN   string `json:"folded_bn,omitempty"`
	BitsBytes  int64  `json:"bits_bytes"`
	ScaleBytes int64  `json:"scale_bytes"` // multiplier and bias
	FloatBytes int64  `json:"float_bytes"` // float weight and bias of a kept layer
	// Sensitivity is the held-out accuracy the layer costs binarized alone,
	// from the records (--keep-float auto); nil when not measured.
	Sensitivity *float64 `json:"sensitivity,omitempty"`
}

// Layers lists the model's layers in graph order, joined with the layer
// records convert stored (ir.LayersKey), if any.
func Layers(m *ir.Model) ([]LayerInfo, error) {
	if m == nil || m.Graph == nil {
		return nil, errors.New("pack: model has no graph")
	}
	recs, err := m.LayerRecords()
	if err != nil {
		return nil, err
	}
	byNode := map[string]ir.LayerRecord{}
	for _, r := range recs {
		byNode[r.Node] = r
	}
	inits := m.Graph.InitializerMap()
	size := func(name string) int64 {
		if t := inits[name]; t != nil {
			return tensorSize(t)
		}
		return 0
	}
	var out []LayerInfo
	for _, n := range m.Graph.Nodes {
		binary := n.Domain == Domain
		if !binary && !(n.OpType == "Conv" || n.OpType == "Gemm" || n.OpType == "MatMul") {
			continue
		}
		r := byNode[n.Name]
		li := LayerInfo{Node: n.Name, Op: n.OpType, SourceOp: r.Op, Shape: r.Shape, Binarized: binary,
			Scale: string(r.Scale), Reason: r.Reason, FoldedBN: r.FoldedBN, Sensitivity: r.Sensitivity}
		if binary {
			li.BitsBytes, li.ScaleBytes = size(n.Input(1)), size(n.Input(2))+size(n.Input(3))
		} else {
			li.FloatBytes = size(n.Input(1)) + size(n.Input(2))
			li.Scale = ""
		}
		out = append(out, li)
	}
	return out, nil
}
