package infer

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// opResize resamples a float32 tensor to the shape the op layer infers
// (sizes, or floor(x·scales)), one axis after another: nearest, linear
// and cubic interpolation are separable, so an N-D resize is a sequence of
// 1-D ones. Coordinates map back by coordinate_transformation_mode;
// tf_crop_and_resize fills positions outside the input with
// extrapolation_value.
func opResize(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a := attrs[schema.Resize](c)
	if a.Antialias {
		return nil, unsupported("Resize with antialias")
	}
	x := in[0]
	xs, err := floats(x, "input")
	if err != nil {
		return nil, err
	}
	scales, sizes, roi, err := resizeArgs(a, in)
	if err != nil {
		return nil, err
	}
	out, sc, err := a.ResizeShape(x.Shape, scales, sizes)
	if err != nil {
		return nil, err
	}
	roi, err = fullRoi(a, roi, len(x.Shape))
	if err != nil {
		return nil, err
	}
	cur, shape := xs, clone(x.Shape)
	for ax := range shape {
		if out[ax] == shape[ax] && sc[ax] == 1 && a.CoordinateTransformationMode != "tf_crop_and_resize" {
			continue
		}
		p := planAxis(a, c.opset(), shape[ax], out[ax], sc[ax], roi[ax], roi[len(shape)+ax])
		cur = p.apply(cur, shape, ax, a.ExtrapolationValue)
		shape[ax] = out[ax]
	}
	y, ys, err := c.f32Overwritten(c.shape(0))
	if err != nil {
		return nil, err
	}
	if len(ys) != len(cur) {
		return nil, fmt.Errorf("resized to %v, the op layer infers %v", shape, y.Shape)
	}
	copy(ys, cur)
	return []*ir.Tensor{y}, nil
}

// resizeArgs reads the optional roi, scales and sizes inputs; an empty
// scales (opsets 11-12) means sizes decide.
func resizeArgs(a *schema.Resize, in []*ir.Tensor) (scales []float32, sizes []int64, roi []float32, err error) {
	get := func(i int) *ir.Tensor {
		if i >= 0 && i < len(in) && in[i] != nil && in[i].Len() > 0 {
			return in[i]
		}
		return nil
	}
	ri, si, zi := a.ResizeInputs()
	if t := get(zi); t != nil {
		if sizes, err = ints(t, "sizes"); err != nil {
			return
		}
	} else if t := get(si); t != nil {
		if scales, err = t.Float32s(); err != nil {
			return
		}
	}
	if t := get(ri); t != nil {
		roi, err = t.Float32s()
	}
	return
}

// fullRoi gives starts then ends for every axis (default 0 and 1),
// placing the roi's values at the node's axes.
func fullRoi(a *schema.Resize, roi []float32, r int) ([]float32, error) {
	full := make([]float32, 2*r)
	for i := range r {
		full[r+i] = 1
	}
	if roi == nil {
		return full, nil
	}
	axes := make([]int64, r)
	for i := range axes {
		axes[i] = int64(i)
	}
	if a.Axes != nil {
		axes = a.Axes
	}
	if len(roi) != 2*len(axes) {
		return nil, fmt.Errorf("roi %v needs %d values", roi, 2*len(axes))
	}
	for i, ax := range axes {
		k, err := axis(ax, r)
		if err != nil {
			return nil, err
		}
		full[k], full[r+k] = roi[i], roi[len(axes)+i]
	}
	return full, nil
}

// axisPlan is a 1-D resampling: for every output position, the input
// positions it reads and their weights, or extrapolation.
type axisPlan struct {
	taps    [][]int
	weights [][]float64
	outside []bool
}

func planAxis(a *schema.Resize, opset int64, n, m int, scale float64, start, end float32) axisPlan {
	p := axisPlan{taps: make([][]int, m), weights: make([][]float64, m), outside: make([]bool, m)}
	crop := a.CoordinateTransformationMode == "tf_crop_and_resize"
	for o := range m {
		x := original(a.CoordinateTransformationMode, float64(o), scale, n, m, float64(start), float64(end))
		if crop && (x < 0 || x > float64(n-1)) {
			p.outside[o] = true
			continue
		}
		switch a.Mode {
		case "nearest":
			p.taps[o], p.weights[o] = []int{clampIndex(nearest(a.NearestMode, opset, x, scale), n)}, []float64{1}
		case "linear":
			x = min(max(x, 0), float64(n-1))
			i0 := math.Floor(x)
			p.taps[o] = []int{clampIndex(int(i0), n), clampIndex(int(i0)+1, n)}
			p.weights[o] = []float64{1 - (x - i0), x - i0}
		default:
			p.taps[o], p.weights[o] = cubicTaps(x, n, float64(a.CubicCoeffA), a.ExcludeOutside)
		}
	}
	return p
}

// original maps output coordinate o back to the input.
func original(mode string, o, scale float64, n, m int, start, end float64) float64 {
	switch mode {
	case "half_pixel":
		return (o+0.5)/scale - 0.5
	case "half_pixel_symmetric":
		adj := float64(m) / (scale * float64(n))
		center := float64(n) / 2
		return center*(1-adj) + (o+0.5)/scale - 0.5
	case "pytorch_half_pixel":
		if m > 1 {
			return (o+0.5)/scale - 0.5
		}
		return 0
	case "align_corners": // the resized length before flooring, n·scale, as ONNX's reference
		if m == 1 {
			return 0
		}
		return o * float64(n-1) / (float64(n)*scale - 1)
	case "tf_half_pixel_for_nn":
		return (o + 0.5) / scale
	case "tf_crop_and_resize":
		if m > 1 {
			return start*float64(n-1) + o*(end-start)*float64(n-1)/float64(m-1)
		}
		return 0.5 * (start + end) * float64(n-1)
	}
	return o / scale // asymmetric
}

// nearest rounds a coordinate by nearest_mode; opset 10 rounds down when
// upsampling and up when downsampling (ONNX Runtime's "simple" mode).
func nearest(mode string, opset int64, x, scale float64) int {
	if opset < 11 {
		if scale < 1 {
			return int(math.Ceil(x))
		}
		return int(x)
	}
	switch mode {
	case "floor":
		return int(math.Floor(x))
	case "ceil":
		return int(math.Ceil(x))
	case "round_prefer_ceil":
		return int(math.Floor(x + 0.5))
	}
	if x-math.Floor(x) == 0.5 { // round_prefer_floor
		return int(math.Floor(x))
	}
	return int(math.Round(x))
}

func clampIndex(i, n int) int { return min(max(i, 0), n-1) }

// cubicTaps are the four taps around x with Keys' cubic weights for
// coefficient a; exclude_outside drops taps outside the input and
// renormalizes, otherwise they read the edge.
func cubicTaps(x float64, n int, a float64, exclude bool) ([]int, []float64) {
	i0 := math.Floor(x)
	t := x - i0
	w := []float64{
		((a*(t+1)-5*a)*(t+1)+8*a)*(t+1) - 4*a,
		((a+2)*t-(a+3))*t*t + 1,
		((a+2)*(1-t)-(a+3))*(1-t)*(1-t) + 1,
		((a*(2-t)-5*a)*(2-t)+8*a)*(2-t) - 4*a,
	}
	taps := make([]int, 4)
	total := 0.0
	for k := range taps {
		i := int(i0) - 1 + k
		if exclude && (i < 0 || i >= n) {
			w[k] = 0
		}
		taps[k] = clampIndex(i, n)
		total += w[k]
	}
	if exclude && total != 0 {
		for k := range w {
			w[k] /= total
		}
	}
	return taps, w
}

// apply resamples axis ax of a tensor of the given shape.
func (p axisPlan) apply(xs []float32, shape []int, ax int, extra float32) []float32 {
	outer, n, inner := product(shape[:ax]), shape[ax], product(shape[ax+1:])
	m := len(p.taps)
	ys := make([]float32, outer*m*inner)
	for b := range outer {
		src, dst := xs[b*n*inner:], ys[b*m*inner:]
		for o := range m {
			row := dst[o*inner : (o+1)*inner]
			if p.outside[o] {
				for j := range row {
					row[j] = extra
				}
				continue
			}
			for j := range row {
				var s float64
				for k, i := range p.taps[o] {
					s += p.weights[o][k] * float64(src[i*inner+j])
				}
				row[j] = float32(s)
			}
		}
	}
	return ys
}
