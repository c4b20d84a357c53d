package bits

import "math"

// Scale modes of s in the binarized weight s·sign(W) (design.md). Package
// convert (deployment) and package finetune (training) must agree on s, so
// the formulas live here once.
const (
	ScaleHe      = "he"      // McDonnell: sqrt(2/fan_in), one per layer
	ScaleChannel = "channel" // BWN: mean|W| per output channel
	ScaleLayer   = "layer"   // mean|W| over the whole layer
)

// RowScales returns s for each of out output channels of a weight w with
// fanIn inputs per channel; at(o, j) is the index in w of input j of
// channel o. An unknown mode means ScaleChannel.
func RowScales(w []float32, out, fanIn int, at func(o, j int) int, mode string) []float32 {
	s := make([]float32, out)
	switch mode {
	case ScaleHe:
		fillScale(s, float32(math.Sqrt(2/float64(fanIn))))
	case ScaleLayer:
		var sum float64
		for _, v := range w {
			sum += math.Abs(float64(v))
		}
		fillScale(s, float32(sum/float64(len(w))))
	default:
		for o := range s {
			var sum float64
			for j := range fanIn {
				sum += math.Abs(float64(w[at(o, j)]))
			}
			s[o] = float32(sum / float64(fanIn))
		}
	}
	return s
}

func fillScale(s []float32, x float32) {
	for i := range s {
		s[i] = x
	}
}
