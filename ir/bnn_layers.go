package ir

import (
	"encoding/json"
	"fmt"
)

// LayersKey is the metadata key under which package convert records one
// LayerRecord per binarizable layer (Conv, Gemm, MatMul), as a JSON array
// in graph order: the binarization plan. Package finetune trains the
// layers it marks, package pack reads it to know which layers to pack and
// keeps it in the .bnn so that inspect can say why a layer stayed float
// (docs/bnn-format.md).
const LayersKey = "bnn.layers"

// LayerRecord is what the plan decided for one layer (plan.go): the
// records of a model are its binarization plan.
type LayerRecord struct {
	Node      string    `json:"node"`                // node name (convert names unnamed ones)
	Op        string    `json:"op"`                  // Conv, Gemm or MatMul
	Weight    string    `json:"weight"`              // weight input name
	Shape     []int     `json:"shape"`               // weight shape as in the source
	Binarized bool      `json:"binarized"`           // weights are ±multiplier per output channel
	Scale     ScaleMode `json:"scale,omitempty"`     // he, channel or layer, when binarized
	Reason    string    `json:"reason,omitempty"`    // why the layer stayed float
	FoldedBN  string    `json:"folded_bn,omitempty"` // BatchNormalization folded into it
	// FloatBytes and BinaryBytes are the weight's bytes in a .bnn kept
	// float and binarized (WeightLayout), for choosing what to keep.
	FloatBytes  int64 `json:"float_bytes,omitempty"`
	BinaryBytes int64 `json:"binary_bytes,omitempty"`
	// Sensitivity is the held-out accuracy lost (a fraction) when this
	// layer alone is binarized, BN re-estimated; nil when not measured.
	Sensitivity *float64 `json:"sensitivity,omitempty"`
}

// LayerRecords returns the records stored under LayersKey, or nil when the
// model has none.
func (m *Model) LayerRecords() ([]LayerRecord, error) {
	v, ok := m.MetadataValue(LayersKey)
	if !ok {
		return nil, nil
	}
	var recs []LayerRecord
	if err := json.Unmarshal([]byte(v), &recs); err != nil {
		return nil, fmt.Errorf("ir: metadata %s: %w", LayersKey, err)
	}
	return recs, nil
}

// SetLayerRecords stores recs under LayersKey (deterministic JSON).
func (m *Model) SetLayerRecords(recs []LayerRecord) error {
	b, err := json.Marshal(recs)
	if err != nil {
		return fmt.Errorf("ir: metadata %s: %w", LayersKey, err)
	}
	m.SetMetadata(LayersKey, string(b))
	return nil
}
