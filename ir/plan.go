package ir

import (
	"fmt"
	"math"
	"strings"

	"github.com/bincompress/bincompress/internal/bits"
)

// The binarization plan: which layers are binary, with which scale, is
// decided once (package convert's plan passes) and stored in the model's
// metadata under LayersKey as LayerRecords. The trainer trains exactly the
// layers it marks, the converter binarizes exactly those, and pack packs
// them. The definitions both sides need live here: the scale modes with
// their formulas, and where a weight's output channels lie.

// ScaleMode chooses s in the binarized weight Ŵ = s·sign(W) (design.md).
type ScaleMode string

// The scale modes.
const (
	// ScaleHe is McDonnell's fixed per-layer sqrt(2/fan_in).
	ScaleHe ScaleMode = "he"
	// ScaleChannel is BWN's mean|W| per output channel, the s that
	// minimizes ‖W − s·sign(W)‖² (the default, best for pretrained models).
	ScaleChannel ScaleMode = "channel"
	// ScaleLayer is mean|W| over the whole layer.
	ScaleLayer ScaleMode = "layer"
)

// ParseScaleMode accepts "he", "channel" or "layer" in any case; "" means
// ScaleChannel.
func ParseScaleMode(s string) (ScaleMode, error) {
	switch m := ScaleMode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return ScaleChannel, nil
	case ScaleHe, ScaleChannel, ScaleLayer:
		return m, nil
	}
	return "", fmt.Errorf("ir: unknown scale mode %q (want he, channel or layer)", s)
}

// WeightLayout says where a binarizable weight's output channels lie: one
// row of FanIn values per output channel, stored row by row (Conv, whose
// fan-in is C/groups·kH·kW; Gemm with transB), or as the columns of a
// [FanIn, Out] matrix (ColMajor: MatMul; Gemm without transB).
type WeightLayout struct {
	Out, FanIn int
	ColMajor   bool
}

// Index is the position in the weight of input j of output channel o.
func (l WeightLayout) Index(o, j int) int {
	if l.ColMajor {
		return j*l.Out + o
	}
	return o*l.FanIn + j
}

// LayoutOf is the layout of the weight (input 1, of the given shape) of a
// Conv, Gemm or MatMul; transB is the Gemm's attribute (read through the op
// layer, ir/schema). False for other ops and shapes.
func LayoutOf(op string, transB bool, shape []int) (WeightLayout, bool) {
	switch {
	case op == "Conv" && len(shape) >= 3:
		return WeightLayout{Out: shape[0], FanIn: NumElements(shape[1:])}, true
	case op == "Gemm" && len(shape) == 2 && transB:
		return WeightLayout{Out: shape[0], FanIn: shape[1]}, true
	case (op == "Gemm" || op == "MatMul") && len(shape) == 2:
		return WeightLayout{Out: shape[1], FanIn: shape[0], ColMajor: true}, true
	}
	return WeightLayout{}, false
}

// Scales returns s for each output channel of w under mode m (an unknown
// mode means ScaleChannel).
func (m ScaleMode) Scales(w []float32, l WeightLayout) []float32 {
	s := make([]float32, l.Out)
	switch m {
	case ScaleHe:
		fill(s, float32(math.Sqrt(2/float64(l.FanIn))))
	case ScaleLayer:
		var sum float64
		for _, v := range w {
			sum += math.Abs(float64(v))
		}
		fill(s, float32(sum/float64(len(w))))
	default:
		for o := range s {
			var sum float64
			for j := range l.FanIn {
				sum += math.Abs(float64(w[l.Index(o, j)]))
			}
			s[o] = float32(sum / float64(l.FanIn))
		}
	}
	return s
}

func fill(s []float32, x float32) {
	for i := range s {
		s[i] = x
	}
}

// Binarize writes dst = s·sign(w) under mode m, with the sign of the
// packed bit convention (bits.Sign: sign(0) = +1).
func (m ScaleMode) Binarize(dst, w []float32, l WeightLayout) {
	s := m.Scales(w, l)
	for o := range l.Out {
		for j := range l.FanIn {
			i := l.Index(o, j)
			dst[i] = s[o] * bits.Sign(w[i])
		}
	}
}

// BinaryBytes is what a layer of this layout takes binarized in a .bnn:
// its rows packed into 64-bit words, plus a float32 multiplier and bias
// per output channel.
func (l WeightLayout) BinaryBytes() int64 {
	return int64(l.Out) * (8*int64(bits.WordsPerRow(l.FanIn)) + 8)
}

// FloatBytes is what the weight takes kept in float32.
func (l WeightLayout) FloatBytes() int64 { return 4 * int64(l.Out) * int64(l.FanIn) }
