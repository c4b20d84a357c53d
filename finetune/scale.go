package finetune

import (
	"fmt"
)

// ScaleMode chooses s in Ŵ = s·sign(W); the formulas are internal/bits'
// RowScales, shared with package convert.
type ScaleMode string

// The scale modes.
const (
	// ScaleHe is McDonnell's fixed per-layer sqrt(2/fan_in).
	ScaleHe ScaleMode = "he"
	// ScaleChannel is BWN's per-output-channel mean|W| (the default for
	// pretrained models).
	ScaleChannel ScaleMode = "channel"
	// ScaleLayer is the per-layer mean|W|.
	ScaleLayer ScaleMode = "layer"
)

// ParseScaleMode accepts "he", "channel" or "layer".
func ParseScaleMode(s string) (ScaleMode, error) {
	switch m := ScaleMode(s); m {
	case ScaleHe, ScaleChannel, ScaleLayer:
		return m, nil
	}
	return "", fmt.Errorf("finetune: unknown scale mode %q (want he, channel or layer)", s)
}

// wlayout says where a weight's output channels lie: rows of a [out, fanIn]
// matrix (Conv; Gemm with transB) or columns of a [fanIn, out] one (MatMul;
// Gemm without transB).
type wlayout struct {
	out, fanIn int
	cols       bool // output channel = column
}
