package finetune

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/dataset"
)

// DatasetSource serves an internal/dataset Dataset as a Source: each image
// is decoded and preprocessed (scale to [0,1], resize, crop, channels,
// mean/std, layout) by the batch pipeline's workers when an epoch reaches
// it.
type DatasetSource struct {
	ds    dataset.Dataset
	prep  dataset.Preprocess
	shape dataset.Shape
}

// NewDatasetSource checks that ds's first image preprocesses to a sample;
// the others are checked as the pipeline decodes them, so that no file is
// read twice (dataset.Check validates labels against the model's classes).
func NewDatasetSource(ds dataset.Dataset, prep dataset.Preprocess) (*DatasetSource, error) {
	if ds == nil || ds.Len() == 0 {
		return nil, fmt.Errorf("finetune: dataset is empty: %w", ErrEmptyData)
	}
	in, err := ds.Shape(0)
	if err != nil {
		return nil, fmt.Errorf("finetune: %w", err)
	}
	shape, err := prep.OutShape(in)
	if err != nil {
		return nil, fmt.Errorf("finetune: dataset image 0: %w", err)
	}
	return &DatasetSource{ds: ds, prep: prep, shape: shape}, nil
}

// Len is the number of images.
func (s *DatasetSource) Len() int { return s.ds.Len() }

// SampleShape is the preprocessed [C, H, W], or [H, W, C] for NHWC.
func (s *DatasetSource) SampleShape() []int {
	if s.prep.Layout == dataset.NHWC {
		return []int{s.shape.H, s.shape.W, s.shape.C}
	}
	return []int{s.shape.C, s.shape.H, s.shape.W}
}

// Data is the dataset and its preprocessing.
func (s *DatasetSource) Data() (dataset.Dataset, dataset.Preprocess, error) { return s.ds, s.prep, nil }
