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

// Holdout splits src into the samples to train on and a held-out slice
// (dataset.Holdout: frac of them, at most most, chosen by seed), each a
// view of src's data with its preprocessing. held is nil when the slice is
// empty.
func Holdout(src Source, frac float64, most int, seed uint64) (train, held Source, err error) {
	ds, prep, err := src.Data()
	if err != nil {
		return nil, nil, err
	}
	tr, ho := dataset.Holdout(ds.Len(), frac, most, seed)
	view := func(idx []int) (*DatasetSource, error) {
		sub, err := dataset.Subset(ds, idx)
		if err != nil {
			return nil, err
		}
		return NewDatasetSource(sub, prep)
	}
	trs, err := view(tr)
	if err != nil {
		return nil, nil, err
	}
	if len(ho) == 0 {
		return trs, nil, nil
	}
	hos, err := view(ho)
	if err != nil {
		return nil, nil, err
	}
	return trs, hos, nil
}
