package finetune

import (
	"context"
	"errors"
	"fmt"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/internal/dataset"
)

// Source is labelled data for training or validation: images and the
// preprocessing that makes them the model's input. The trainer reads every
// Source through internal/dataset's one batch pipeline (dataset.Batches),
// whose workers decode, preprocess and augment ahead of the step;
// DatasetSource adapts a dataset.Dataset, SliceSource serves samples held
// in memory.
type Source interface {
	Len() int
	// SampleShape is one sample's shape in the model's layout: [C, H, W],
	// or [H, W, C] for an NHWC model.
	SampleShape() []int
	// Data is the images and the preprocessing the pipeline applies.
	Data() (dataset.Dataset, dataset.Preprocess, error)
}

// SliceSource is a Source over samples in memory, already preprocessed and
// laid out as the model takes them.
type SliceSource struct {
	X      []float32 // N samples of Shape, one after the other
	Shape  []int     // [C, H, W], or [H, W, C] for an NHWC model
	Labels []int
}

// Len is the number of samples.
func (s *SliceSource) Len() int { return len(s.Labels) }

// SampleShape is Shape.
func (s *SliceSource) SampleShape() []int { return s.Shape }

// Data is the samples as a dataset.Samples data set, whose preprocessing
// gives them back unchanged.
func (s *SliceSource) Data() (dataset.Dataset, dataset.Preprocess, error) {
	m, p, err := dataset.Samples(s.X, s.Shape, s.Labels)
	if err != nil {
		return nil, p, fmt.Errorf("finetune: %w", err)
	}
	return m, p, nil
}

// Augment is the training-time augmentation, dataset.Augment: pad-and-crop,
// a random crop in place of the center crop, and the horizontal flip,
// drawn per image from (seed, epoch, index).
type Augment = dataset.Augment

// batch is one minibatch, or the error that ended the stream.
type batch struct {
	x      *autograd.Tensor
	labels []int
	err    error
}

// batchPlan is one pass over a Source through dataset.Batches: shuffled
// from (seed, epoch) when shuffle is set, in order otherwise. err is why
// the Source has no data (checkSource reports it first).
type batchPlan struct {
	ds  dataset.Dataset
	cfg dataset.BatchConfig
	err error
}

func newPlan(src Source, size int, dropLast, shuffle bool, aug Augment, seed uint64, epoch int) *batchPlan {
	ds, prep, err := src.Data()
	return &batchPlan{ds: ds, err: err, cfg: dataset.BatchConfig{Size: size, Prep: prep, Aug: aug, Shuffle: shuffle,
		Seed: seed, Epoch: epoch, DropLast: dropLast, Prefetch: 1}}
}

// count is the number of batches in the epoch.
func (p *batchPlan) count() int {
	if p.err != nil {
		return 0
	}
	return dataset.NumBatches(p.ds.Len(), p.cfg)
}

// stream hands the epoch's batches over as the pipeline completes them,
// until the epoch ends, an error (sent last) or ctx is done. At most
// pipelineBatches are alive: the step's, the next one waiting in the
// unbuffered send, and one being filled (Prefetch 1); each is memory the
// plan counts.
func (p *batchPlan) stream(ctx context.Context) <-chan batch {
	if p.err != nil {
		ch := make(chan batch, 1)
		ch <- batch{err: p.err}
		close(ch)
		return ch
	}
	ch := make(chan batch)
	go func() {
		defer close(ch)
		for b, err := range dataset.Batches(ctx, p.ds, p.cfg) {
			select {
			case ch <- toBatch(b, err):
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// load is batch b alone.
func (p *batchPlan) load(b int) batch {
	if p.err != nil {
		return batch{err: p.err}
	}
	cfg := p.cfg
	cfg.Skip = b
	for x, err := range dataset.Batches(context.Background(), p.ds, cfg) {
		return toBatch(x, err)
	}
	return batch{err: fmt.Errorf("finetune: no batch %d in %d: %w", b, p.count(), ErrEmptyData)}
}

func toBatch(b *dataset.Batch, err error) batch {
	if err != nil {
		return batch{err: fmt.Errorf("finetune: %w", err)}
	}
	return batch{x: autograd.New(b.Dims(), b.X), labels: b.Labels}
}

// checkSource validates a data source against the model's input.
func checkSource(name string, s Source, want []int, minLen int) error {
	if s == nil {
		return fmt.Errorf("finetune: no %s data", name)
	}
	if s.Len() < minLen {
		return fmt.Errorf("finetune: %s data has %d samples, need at least %d: %w", name, s.Len(), minLen, ErrEmptyData)
	}
	if _, _, err := s.Data(); err != nil {
		return fmt.Errorf("%w: %s data: %w", ErrSampleShape, name, err)
	}
	got := s.SampleShape()
	if len(got) != 3 || (len(want) != 3 && len(want) != 0) {
		return fmt.Errorf("finetune: %s samples have shape %v; the model wants %v: %w", name, got, want, ErrSampleShape)
	}
	for i := range want {
		if want[i] != 0 && got[i] != want[i] {
			return fmt.Errorf("finetune: %s samples have shape %v, the model wants %v: %w", name, got, want, ErrSampleShape)
		}
	}
	return nil
}

// Sentinel errors for bad data.
var (
	ErrEmptyData   = errors.New("finetune: not enough data")
	ErrSampleShape = errors.New("finetune: sample shape does not match the model input")
	ErrNaNLoss     = errors.New("finetune: loss is not finite")
	ErrLabel       = errors.New("finetune: label out of range")
)
