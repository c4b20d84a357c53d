package dataset

import "fmt"

// ImageDims reads the geometry of a batch of images from a 4-D shape
// [N, C, H, W] or [N, H, W, C] (N is not read): NCHW when dimension 1 is 1
// or 3, else NHWC when dimension 3 is 1 or 3, as PyTorch and TensorFlow
// lay images out; for other channel counts (RGBA, RGB-D, multispectral:
// 2, 4, ...) the smaller of dimensions 1 and 3 is the channels (NCHW on a
// tie). A model's declared input and an x.npy array follow this one rule.
// Dimensions must be positive.
func ImageDims(dims []int) (Shape, string, error) {
	isC := func(d int) bool { return d == 1 || d == 3 }
	if len(dims) != 4 {
		return Shape{}, "", fmt.Errorf("%w: shape %v: want [N,C,H,W] or [N,H,W,C]", ErrShape, dims)
	}
	for _, d := range dims[1:] {
		if d <= 0 {
			return Shape{}, "", fmt.Errorf("%w: shape %v: dimensions must be positive", ErrShape, dims)
		}
	}
	switch {
	case isC(dims[1]):
		return Shape{dims[1], dims[2], dims[3]}, NCHW, nil
	case isC(dims[3]) || dims[3] < dims[1]:
		return Shape{dims[3], dims[1], dims[2]}, NHWC, nil
	}
	return Shape{dims[1], dims[2], dims[3]}, NCHW, nil
}

// Samples is a data set of float samples already preprocessed, laid out as
// dims says ([C, H, W] or [H, W, C], told apart by ImageDims's rule), with
// the preprocessing that gives them back unchanged in that layout.
func Samples(x []float32, dims, labels []int) (*Memory, Preprocess, error) {
	s, layout, err := ImageDims(append([]int{len(labels)}, dims...))
	if err != nil {
		return nil, Preprocess{}, fmt.Errorf("dataset: samples: %w", err)
	}
	if len(x) != len(labels)*s.Len() {
		return nil, Preprocess{}, fmt.Errorf("%w: %d sample values for %d samples of %v", ErrCount, len(x), len(labels), dims)
	}
	m := &Memory{Name: "samples", Format: "memory", Size: s, F32: x, Labels: labels, Classes: max(1, maxLabel(labels)+1)}
	var p Preprocess
	if layout == NHWC {
		m.F32, p.Layout = hwcToCHW(x, s), NHWC
	}
	return m, p, nil
}
