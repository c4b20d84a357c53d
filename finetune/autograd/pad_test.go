package autograd

import (
	"slices"
	"testing"
)

func padCases() []opCase {
	pad := func(begin, end []int, mode string, v float32) forwardFn {
		return func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Pad(in[0], begin, end, mode, v) }
	}
	c := func(name string, f forwardFn) opCase {
		return opCase{name: name, f: f, inputs: shapeIn([]int{2, 3, 4, 5}, []int{4, 8, 48, 48}), eps: 1e-2, tol: 2e-3, codeTol: -1, saved: noneSaved}
	}
	return []opCase{
		// The option-A shortcut's channel padding, then others.
		c("PadChannels", pad([]int{0, 2, 0, 0}, []int{0, 3, 0, 0}, "constant", 0)),
		c("PadValue", pad([]int{0, 0, 1, 2}, []int{0, 0, 2, 1}, "constant", -1.5)),
		c("PadCrop", pad([]int{0, -1, 1, -2}, []int{0, 0, -1, 1}, "constant", 0)),
		c("PadReflect", pad([]int{0, 0, 3, 2}, []int{0, 0, 2, 4}, "reflect", 0)),
		c("PadEdge", pad([]int{0, 1, 2, 2}, []int{0, 0, 3, 1}, "edge", 0)),
		c("PadWrap", pad([]int{0, 0, 2, 6}, []int{0, 0, 1, 2}, "wrap", 0)),
	}
}

func TestPadGrad(t *testing.T) { checkOps(t, padCases()) }

// TestPadModes: ONNX's Pad documentation examples for each mode.
func TestPadModes(t *testing.T) {
	x := New([]int{3, 2}, []float32{1, 1.2, 2.3, 3.4, 4.5, 5.7})
	for mode, want := range map[string][]float32{
		"constant": {0, 0, 1, 1.2, 0, 0, 2.3, 3.4, 0, 0, 4.5, 5.7},
		"reflect":  {1, 1.2, 1, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7},
		"edge":     {1, 1, 1, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7},
	} {
		y, err := (*Tape)(nil).Pad(x, []int{0, 2}, []int{0, 0}, mode, 0)
		must(t, err)
		if !slices.Equal(y.Shape, []int{3, 4}) || !slices.Equal(y.Data, want) {
			t.Errorf("%s: %v %v, want %v", mode, y.Shape, y.Data, want)
		}
	}
	if _, err := (*Tape)(nil).Pad(x, []int{0, -3}, []int{0, 0}, "constant", 0); err == nil {
		t.Error("want an error for a crop past the input")
	}
}
