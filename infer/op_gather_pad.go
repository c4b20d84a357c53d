package infer

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
)

// opGather picks slices of data along axis by indices (negative indices
// count from the end).
func opGather(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, ind := in[0], in[1]
	ax, err := axis(n.Int("axis", 0), len(x.Shape)) // default 0
	if err != nil {
		return nil, err
	}
	ks, err := ints(ind, "indices")
	if err != nil {
		return nil, err
	}
	ks = append([]int64(nil), ks...) // normalized below; never write to the input
	dim := x.Shape[ax]
	for i, k := range ks {
		if k < -int64(dim) || k >= int64(dim) {
			return nil, fmt.Errorf("index %d out of range for axis %d of size %d", k, ax, dim)
		}
		if k < 0 {
			ks[i] = k + int64(dim)
		}
	}
	shape := append(append(clone(x.Shape[:ax]), ind.Shape...), x.Shape[ax+1:]...)
	if _, err := c.size(shape); err != nil { // before gatherIndex allocates
		return nil, err
	}
	st, ri := strides(x.Shape), len(ind.Shape)
	ist := strides(ind.Shape)
	idx := gatherIndex(shape, func(o []int) int {
		off := 0
		for i := 0; i < ax; i++ {
			off += o[i] * st[i]
		}
		off += int(ks[dot(o[ax:ax+ri], ist)]) * st[ax]
		for i := ax + 1; i < len(x.Shape); i++ {
			off += o[i-1+ri] * st[i]
		}
		return off
	})
	y, err := take(c, x, shape, idx, 0)
	return []*ir.Tensor{y}, err
}

// padSpec is a Pad node's arguments for each axis.
type padSpec struct {
	begin, end []int
	mode       string
	value      float64
}

// readPad reads pads, mode and value from attributes (opset < 11) or inputs
// pads, constant_value and axes (opset >= 11; axes from 18).
func readPad(c *ctx, n *ir.Node, in []*ir.Tensor) (padSpec, error) {
	r := len(in[0].Shape)
	spec := padSpec{mode: n.String("mode", "constant"), begin: make([]int, r), end: make([]int, r)} // default constant
	pads := n.Ints("pads", nil)
	axes := make([]int64, r)
	for i := range axes {
		axes[i] = int64(i)
	}
	if c.opset < 11 {
		spec.value = float64(n.Float("value", 0)) // default 0
	} else {
		if len(in) < 2 || in[1] == nil {
			return spec, fmt.Errorf("pads input is required")
		}
		var err error
		if pads, err = ints(in[1], "pads"); err != nil {
			return spec, err
		}
		if spec.value, err = optScalar(in, 2, "constant_value", 0); err != nil {
			return spec, err
		}
		if len(in) > 3 && in[3] != nil {
			if axes, err = ints(in[3], "axes"); err != nil {
				return spec, err
			}
		}
	}
	return spec, spec.fill(pads, axes, r)
}

func (s padSpec) fill(pads, axes []int64, r int) error {
	if len(pads) != 2*len(axes) {
		return fmt.Errorf("pads %v need %d values for %d axes", pads, 2*len(axes), len(axes))
	}
	p, err := toInts(pads, "pads")
	if err != nil {
		return err
	}
	for i, a := range axes {
		ax, err := axis(a, r)
		if err != nil {
			return err
		}
		s.begin[ax], s.end[ax] = p[i], p[i+len(axes)]
	}
	return nil
}

func opPad(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	spec, err := readPad(c, n, in)
	if err != nil {
		return nil, err
	}
	src := map[string]func(i, d int) int{"constant": padConstant, "reflect": padReflect, "edge": padEdge, "wrap": padWrap}[spec.mode]
	if src == nil {
		return nil, fmt.Errorf("unknown mode %q", spec.mode)
	}
	shape := make([]int, len(x.Shape))
	for i, d := range x.Shape {
		shape[i] = d + spec.begin[i] + spec.end[i]
		if shape[i] < 0 || spec.mode != "constant" && d == 0 && shape[i] > 0 {
			return nil, fmt.Errorf("pads %v%v do not fit shape %v in mode %s", spec.begin, spec.end, x.Shape, spec.mode)
		}
	}
	if _, err := c.size(shape); err != nil { // before gatherIndex allocates
		return nil, err
	}
	st := strides(x.Shape)
	idx := gatherIndex(shape, func(o []int) int {
		off := 0
		for i, v := range o {
			j := src(v-spec.begin[i], x.Shape[i])
			if j < 0 {
				return -1
			}
			off += j * st[i]
		}
		return off
	})
	y, err := take(c, x, shape, idx, spec.value)
	return []*ir.Tensor{y}, err
}

func padConstant(i, d int) int {
	if i < 0 || i >= d {
		return -1
	}
	return i
}

func padEdge(i, d int) int { return min(max(i, 0), d-1) }

func padWrap(i, d int) int { return ((i % d) + d) % d }

// padReflect mirrors without repeating the edge element.
func padReflect(i, d int) int {
	if d == 1 {
		return 0
	}
	period := 2 * (d - 1)
	i = ((i % period) + period) % period
	if i >= d {
		i = period - i
	}
	return i
}
