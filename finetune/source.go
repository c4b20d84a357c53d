package finetune

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/dataset"
)

// DatasetSource serves an internal/dataset Dataset as a Source: each image
// is decoded and preprocessed (scale to [0,1], resize, crop, channels,
// mean/std) when a batch asks for it. The trainer's own goroutine pipeline
// loads batches ahead of the step.
type DatasetSource struct {
	ds    dataset.Dataset
	prep  dataset.Preprocess
	shape dataset.Shape
}

// NewDatasetSource checks that every image of ds preprocesses to one
// shape; dataset.Check validates labels against the model's classes.
func NewDatasetSource(ds dataset.Dataset, prep dataset.Preprocess) (*DatasetSource, error) {
	if ds == nil || ds.Len() == 0 {
		return nil, fmt.Errorf("finetune: dataset is empty: %w", ErrEmptyData)
	}
	shape, err := prep.OutShape(ds.Shape(0))
	if err != nil {
		return nil, fmt.Errorf("finetune: dataset image 0: %w", err)
	}
	for i := 1; i < ds.Len(); i++ {
		s, err := prep.OutShape(ds.Shape(i))
		if err != nil || s != shape {
			return nil, fmt.Errorf("finetune: dataset image %d preprocesses to %v, image 0 to %v: %w", i, s, shape, ErrSampleShape)
		}
	}
	return &DatasetSource{ds: ds, prep: prep, shape: shape}, nil
}

// Black is a black pixel after preprocessing, per channel: the padding
// value for Augment.Fill that matches torchvision's pad-then-normalize.
func (s *DatasetSource) Black() []float32 {
	fill := make([]float32, s.shape.C)
	for c := range fill {
		mean, std := pick32(s.prep.Mean, c, 0), pick32(s.prep.Std, c, 1)
		fill[c] = -mean / std
	}
	return fill
}

// pick32 is v[c], v[0] when v holds one value for all channels, or def.
func pick32(v []float32, c int, def float32) float32 {
	switch {
	case len(v) == 1:
		return v[0]
	case c < len(v):
		return v[c]
	}
	return def
}

// Len is the number of images.
func (s *DatasetSource) Len() int { return s.ds.Len() }

// SampleShape is the preprocessed [C, H, W].
func (s *DatasetSource) SampleShape() []int { return []int{s.shape.C, s.shape.H, s.shape.W} }

// Load decodes and preprocesses the images at idx.
func (s *DatasetSource) Load(idx []int, x []float32, labels []int) error {
	k := s.shape.Len()
	for j, i := range idx {
		img, err := s.ds.Image(i)
		if err != nil {
			return fmt.Errorf("finetune: image %d: %w", i, err)
		}
		if err := s.prep.Apply(x[j*k:(j+1)*k], img); err != nil {
			return fmt.Errorf("finetune: image %d: %w", i, err)
		}
		labels[j] = s.ds.Label(i)
	}
	return nil
}
