package schema

import (
	"fmt"
	"math"
)

// Resize's attributes (opsets 10-21).
type Resize struct {
	Mode                           string  // nearest (default), linear, cubic
	CoordinateTransformationMode   string  // opset 11+: half_pixel (default), ...
	NearestMode                    string  // opset 11+: round_prefer_floor (default), ...
	CubicCoeffA                    float32 // opset 11+, default -0.75
	ExcludeOutside                 bool    // opset 11+, default 0
	ExtrapolationValue             float32 // opset 11+, default 0 (tf_crop_and_resize)
	Antialias                      bool    // opset 18+, default 0
	Axes                           []int64 // opset 18+: the axes scales and sizes refer to
	KeepAspectRatioPolicy          string  // opset 18+: stretch (default), not_larger, not_smaller
	scalesInput, sizesInput, roiIn int     // input positions (the opset decides)
}

func parseResize(r *reader) any {
	a := &Resize{Mode: r.enum("mode", "nearest", "nearest", "linear", "cubic"), CoordinateTransformationMode: "asymmetric",
		NearestMode: "floor", CubicCoeffA: -0.75, KeepAspectRatioPolicy: "stretch", scalesInput: 1, sizesInput: -1, roiIn: -1}
	if r.opset < 11 {
		return a // opset 10: X and scales; coordinates asymmetric, nearest rounds down
	}
	a.scalesInput, a.sizesInput, a.roiIn = 2, 3, 1
	coords := []string{"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize"}
	if r.opset < 13 {
		coords = append(coords, "tf_half_pixel_for_nn")
	}
	if r.opset >= 19 {
		coords = append(coords, "half_pixel_symmetric")
	}
	a.CoordinateTransformationMode = r.enum("coordinate_transformation_mode", "half_pixel", coords...)
	a.CubicCoeffA = r.float("cubic_coeff_a", -0.75)
	a.ExcludeOutside = r.bool("exclude_outside", false)
	a.ExtrapolationValue = r.float("extrapolation_value", 0)
	a.NearestMode = r.enum("nearest_mode", "round_prefer_floor", "round_prefer_floor", "round_prefer_ceil", "floor", "ceil")
	if r.opset >= 18 {
		a.Antialias = r.bool("antialias", false)
		a.Axes = r.ints("axes", nil)
		a.KeepAspectRatioPolicy = r.enum("keep_aspect_ratio_policy", "stretch", "stretch", "not_larger", "not_smaller")
	}
	return a
}

// ResizeInputs are the positions of roi, scales and sizes among a Resize
// node's inputs (-1 when the opset has none).
func (a *Resize) ResizeInputs() (roi, scales, sizes int) { return a.roiIn, a.scalesInput, a.sizesInput }

// ResizeShape is the output shape of a Resize of x: sizes when given,
// else floor(x·scales), over axes (default all); with a keep-aspect-ratio
// policy, sizes are scaled by one factor. It returns the scale per axis
// too (sizes/x when sizes are given).
func (a *Resize) ResizeShape(x []int, scales []float32, sizes []int64) ([]int, []float64, error) {
	r := len(x)
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if a.Axes != nil {
		list, err := normAxes(a.Axes, r)
		if err != nil {
			return nil, nil, err
		}
		axes = list
	}
	out, sc := clone(x), make([]float64, r)
	for i := range sc {
		sc[i] = 1
	}
	switch {
	case sizes != nil:
		if len(sizes) != len(axes) {
			return nil, nil, fmt.Errorf("sizes %v do not fit %d axes", sizes, len(axes))
		}
		if err := a.fitSizes(x, sizes, axes, out, sc); err != nil {
			return nil, nil, err
		}
	case scales != nil:
		if len(scales) != len(axes) {
			return nil, nil, fmt.Errorf("scales %v do not fit %d axes", scales, len(axes))
		}
		for i, ax := range axes {
			s := float64(scales[i])
			if !(s > 0) || s*float64(x[ax]) > DefaultMaxElements {
				return nil, nil, fmt.Errorf("scale %g is not a positive factor of a sane size", s)
			}
			out[ax], sc[ax] = int(math.Floor(float64(x[ax])*s)), s
		}
	default:
		return nil, nil, fmt.Errorf("one of scales and sizes is required")
	}
	return out, sc, nil
}

func (a *Resize) fitSizes(x []int, sizes []int64, axes, out []int, sc []float64) error {
	factor := 0.0
	for i, ax := range axes {
		if sizes[i] < 0 || sizes[i] > DefaultMaxElements {
			return fmt.Errorf("sizes %v are out of range", sizes)
		}
		s := float64(sizes[i]) / float64(x[ax])
		switch {
		case a.KeepAspectRatioPolicy == "not_larger" && (i == 0 || s < factor),
			a.KeepAspectRatioPolicy == "not_smaller" && (i == 0 || s > factor):
			factor = s
		}
		out[ax], sc[ax] = int(sizes[i]), s
	}
	if a.KeepAspectRatioPolicy != "stretch" {
		for _, ax := range axes {
			out[ax] = int(math.Round(factor * float64(x[ax])))
			sc[ax] = factor
		}
	}
	return nil
}

func inferResize(c *call) ([]Value, error) {
	a := c.Attrs.(*Resize)
	x := c.shape(0)
	var scales []float32
	var sizes []int64
	if a.sizesInput >= 0 && c.has(a.sizesInput) {
		v, ok, err := c.ints(a.sizesInput, "sizes")
		if err != nil {
			return nil, err
		}
		if !ok {
			return one(c.dtype(0), unknowns(len(x)))
		}
		sizes = v
	} else if c.has(a.scalesInput) {
		v := c.x(a.scalesInput)
		if v.Const == nil {
			return one(c.dtype(0), unknowns(len(x)))
		}
		f, err := v.Const.Float32s()
		if err != nil || !isFloat(v.DType) {
			return nil, fmt.Errorf("scales must be float, got %v", v.DType)
		}
		scales = f
		if len(f) == 0 {
			scales = nil // opset 11-12: an empty scales means sizes decide
		}
	}
	xs, ok := Ints(x)
	if !ok {
		if sizes != nil && a.Axes == nil && len(sizes) == len(x) && a.KeepAspectRatioPolicy == "stretch" {
			return one(c.dtype(0), Dims(toIntSlice(sizes)))
		}
		return one(c.dtype(0), unknowns(len(x)))
	}
	out, _, err := a.ResizeShape(xs, scales, sizes)
	if err != nil {
		return nil, err
	}
	return one(c.dtype(0), Dims(out))
}

func toIntSlice(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}
