package finetune

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/bits"
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

func (l wlayout) index(o, j int) int {
	if l.cols {
		return j*l.out + o
	}
	return o*l.fanIn + j
}

// scales returns s per output channel for w under mode.
func scales(w []float32, l wlayout, mode ScaleMode) []float32 {
	return bits.RowScales(w, l.out, l.fanIn, l.index, string(mode))
}

// binarize writes dst = s·sign(w) with sign(0) = +1.
func binarize(dst, w []float32, l wlayout, mode ScaleMode) {
	s := scales(w, l, mode)
	for o := range l.out {
		for j := range l.fanIn {
			i := l.index(o, j)
			if w[i] < 0 {
				dst[i] = -s[o]
			} else {
				dst[i] = s[o]
			}
		}
	}
}
