package reftest

import (
	"fmt"
	"math"
	"slices"

	"github.com/bincompress/bincompress/ir"
)

// Compare returns an error unless got and want have the same shape and
// every element is within tol·max(1, |want|) of want (NaN never is).
func Compare(got, want *ir.Tensor, tol float64) error {
	if got == nil || want == nil {
		return fmt.Errorf("missing output (got %v, want %v)", got != nil, want != nil)
	}
	g, err := got.Float32s()
	if err != nil {
		return err
	}
	w, err := want.Float32s()
	if err != nil {
		return err
	}
	if len(g) != len(w) || !slices.Equal(got.Shape, want.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	worst, at := 0.0, 0
	for i := range w {
		d := math.Abs(float64(g[i])-float64(w[i])) / math.Max(1, math.Abs(float64(w[i])))
		if math.IsNaN(d) {
			return fmt.Errorf("element %d is %v, want %v", i, g[i], w[i])
		}
		if d > worst {
			worst, at = d, i
		}
	}
	if worst > tol {
		return fmt.Errorf("element %d is %v, want %v (error %.3g > %.3g)", at, g[at], w[at], worst, tol)
	}
	return nil
}
