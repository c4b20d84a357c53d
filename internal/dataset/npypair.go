package dataset

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/internal/npy"
)

// loadNPYPair reads images from xPath and labels from yPath: all of them,
// or the first limit > 0.
//
// x is uint8 (pixels 0..255), another integer type holding 0..255 (int64
// from a CSV read with pandas, as Kaggle's MNIST comes), or float32/float64
// (pixels already on the [0,1] scale) in one of three layouts: [N,H,W] (one channel), or
// [N,C,H,W] or [N,H,W,C] as ImageDims tells them apart (NCHW whenever
// dimension 1 could be a channel count, as PyTorch stores it). y is [N]
// or [N,1] integers of any width; the class count is the largest label
// plus one.
func loadNPYPair(xPath, yPath string, limit int) (*Memory, error) {
	x, xn, err := readNPY(xPath, limit, ErrShape)
	if err != nil {
		return nil, err
	}
	y, yn, err := readNPY(yPath, limit, ErrLabelType)
	if err != nil {
		return nil, err
	}
	labels, err := npyLabels(y, yPath)
	if err != nil {
		return nil, err
	}
	size, nhwc, err := npyLayout(x.Shape, xPath)
	if err != nil {
		return nil, err
	}
	if xn != yn {
		return nil, fmt.Errorf("%w: %s holds %d images, %s %d labels", ErrCount, xPath, xn, yPath, yn)
	}
	m := &Memory{Name: xPath, LabelFile: yPath, Files: []string{xPath, yPath}, Format: "npy", Size: size, Labels: labels, Classes: max(1, maxLabel(labels)+1)}
	switch d := x.Data.(type) {
	case []uint8:
		m.U8 = d
	case []float32:
		m.F32 = d
	case []float64:
		m.F32 = make([]float32, len(d))
		for i, v := range d {
			m.F32[i] = float32(v)
		}
	case []int64:
		m.U8, err = bytePixels(d, xPath, size)
	case []int32:
		m.U8, err = bytePixels(d, xPath, size)
	case []int16:
		m.U8, err = bytePixels(d, xPath, size)
	case []int8:
		m.U8, err = bytePixels(d, xPath, size)
	case []uint64:
		m.U8, err = bytePixels(d, xPath, size)
	case []uint32:
		m.U8, err = bytePixels(d, xPath, size)
	case []uint16:
		m.U8, err = bytePixels(d, xPath, size)
	default:
		return nil, fmt.Errorf("%w: %s: images of dtype %s, want integers (0..255) or floats", ErrShape, xPath, x.DType)
	}
	if err != nil {
		return nil, err
	}
	if nhwc {
		m.U8, m.F32 = hwcToCHW(m.U8, size), hwcToCHW(m.F32, size)
	}
	return m, m.Validate()
}

// readNPY reads the first limit > 0 (else all) entries of a regular .npy
// file, and the entry count its header declares; a scalar is a scalarErr
// error (ErrShape for images, ErrLabelType for labels).
func readNPY(path string, limit int, scalarErr error) (*npy.Array, int, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	a, declared, err := npy.ReadPrefix(f, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("dataset: %w", err)
	}
	if len(declared) == 0 {
		return nil, 0, fmt.Errorf("%w: %s: a scalar, want an array", scalarErr, path)
	}
	return a, declared[0], nil
}

// npyLayout tells the image shape from x's shape and whether it is NHWC.
func npyLayout(shape []int, path string) (Shape, bool, error) {
	if len(shape) == 3 {
		if shape[1] <= 0 || shape[2] <= 0 {
			return Shape{}, false, fmt.Errorf("%w: %s: images of shape %v", ErrShape, path, shape)
		}
		return Shape{1, shape[1], shape[2]}, false, nil
	}
	s, layout, err := ImageDims(shape)
	if err != nil {
		return Shape{}, false, fmt.Errorf("%s: images: %w; want [N,H,W] too", path, err)
	}
	return s, layout == NHWC, nil
}

// npyLabels converts y to labels: class indices of any integer dtype
// (int16 and uint32 come out of data pipelines too), shaped [N] or [N,1]
// (a column, as Keras and scikit-learn keep them), each non-negative.
func npyLabels(y *npy.Array, path string) ([]int, error) {
	if len(y.Shape) == 2 && y.Shape[1] > 1 {
		return nil, fmt.Errorf("%w: %s: labels of shape %v, want [N] or [N,1] class indices (one-hot or score rows? save y.argmax(axis=1))", ErrLabelType, path, y.Shape)
	}
	if len(y.Shape) != 1 && (len(y.Shape) != 2 || y.Shape[1] != 1) {
		return nil, fmt.Errorf("%w: %s: labels of shape %v, want [N] or [N,1]", ErrLabelType, path, y.Shape)
	}
	switch d := y.Data.(type) {
	case []int64:
		return labelsOf(d, path)
	case []int32:
		return labelsOf(d, path)
	case []int16:
		return labelsOf(d, path)
	case []int8:
		return labelsOf(d, path)
	case []uint64:
		return labelsOf(d, path)
	case []uint32:
		return labelsOf(d, path)
	case []uint16:
		return labelsOf(d, path)
	case []uint8:
		return labelsOf(d, path)
	}
	return nil, fmt.Errorf("%w: %s: labels of dtype %s; labels must be integers (class indices, y.astype(\"int64\"))", ErrLabelType, path, y.DType)
}

// labelsOf converts integer labels, refusing a negative one or one beyond
// what an int holds.
func labelsOf[T int64 | int32 | int16 | int8 | uint64 | uint32 | uint16 | uint8](d []T, path string) ([]int, error) {
	labels := make([]int, len(d))
	for i, v := range d {
		switch {
		case v < 0:
			return nil, fmt.Errorf("%w: %s: label %d of image %d is negative", ErrLabel, path, v, i)
		case uint64(v) > math.MaxInt:
			return nil, fmt.Errorf("%w: %s: label %d of image %d is too large", ErrLabel, path, v, i)
		}
		labels[i] = int(v)
	}
	return labels, nil
}

// bytePixels takes integer pixels as the bytes they are when every one is
// in 0..255; any other value (a 16-bit image, a negative int8) is refused,
// naming its image (index in HWC or CHW order alike), not wrapped.
func bytePixels[T int64 | int32 | int16 | int8 | uint64 | uint32 | uint16](d []T, path string, size Shape) ([]uint8, error) {
	out := make([]uint8, len(d))
	for i, v := range d {
		if v < 0 || uint64(v) > 255 {
			return nil, fmt.Errorf("%w: %s: image %d holds %d; integer pixels must be 0..255 (convert to uint8, or to floats on the [0,1] scale)", ErrPixel, path, i/size.Len(), v)
		}
		out[i] = uint8(v)
	}
	return out, nil
}

// hwcToCHW reorders images from HWC to CHW (nil stays nil).
func hwcToCHW[T any](src []T, s Shape) []T {
	if src == nil {
		return nil
	}
	dst := make([]T, len(src))
	n := s.Len()
	for base := 0; base+n <= len(src); base += n {
		for y := range s.H {
			for x := range s.W {
				for c := range s.C {
					dst[base+(c*s.H+y)*s.W+x] = src[base+(y*s.W+x)*s.C+c]
				}
			}
		}
	}
	return dst
}
