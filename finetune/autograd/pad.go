package autograd

import "fmt"

// Pad widens (or, with negative pads, crops) each axis k of x by begin[k]
// elements before and end[k] after (ONNX Pad). mode is "constant" (the new
// elements are value), "reflect" (mirrored without repeating the edge),
// "edge" (the edge repeated) or "wrap" (periodic). It is an axis map (its
// backward adds each output gradient to the element it copied).
func (tp *Tape) Pad(x *Tensor, begin, end []int, mode string, value float32) (*Tensor, error) {
	r := len(x.Shape)
	if len(begin) != r || len(end) != r {
		return nil, fmt.Errorf("autograd: pad of %v needs pads for each of its %d axes", x.Shape, r)
	}
	src, ok := padSources[mode]
	if !ok {
		return nil, fmt.Errorf("autograd: pad mode %q is not supported", mode)
	}
	shape, m := make([]int, r), make([][]int, r)
	for k, d := range x.Shape {
		shape[k] = d + begin[k] + end[k]
		if shape[k] < 0 || (mode != "constant" && d == 0 && shape[k] > 0) {
			return nil, fmt.Errorf("autograd: pads %v, %v do not fit %v in mode %s", begin, end, x.Shape, mode)
		}
		m[k] = make([]int, shape[k])
		for i := range m[k] {
			m[k][i] = src(i-begin[k], d)
		}
	}
	return tp.gatherBy(x, newAxisMap(x.Shape, shape, m, value), shape), nil
}

// padSources maps an index i of a padded axis (shifted so 0 is the first
// original element) to the element of the d-long axis it copies, −1 for
// the constant.
var padSources = map[string]func(i, d int) int{
	"constant": func(i, d int) int {
		if i < 0 || i >= d {
			return -1
		}
		return i
	},
	"edge": func(i, d int) int { return min(max(i, 0), d-1) },
	"wrap": func(i, d int) int { return (i%d + d) % d },
	"reflect": func(i, d int) int {
		if d == 1 {
			return 0
		}
		p := 2 * (d - 1)
		if i = (i%p + p) % p; i >= d {
			i = p - i
		}
		return i
	},
}
