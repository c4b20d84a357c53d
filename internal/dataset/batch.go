package dataset

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"sync"
)

// BatchConfig configures Batches.
type BatchConfig struct {
	Size     int        // images per batch, > 0
	Prep     Preprocess // applied to every image
	Aug      Augment    // training augmentation; the zero value does nothing
	Shuffle  bool       // visit images in Permutation(n, Seed, Epoch) order
	Seed     uint64     // drives shuffling and augmentation
	Epoch    int        // selects this epoch's order and augmentation draws
	DropLast bool       // drop a final partial batch
	Skip     int        // batches to skip at the start (resuming mid-epoch)
	Workers  int        // decoding goroutines; 0 means GOMAXPROCS
	Prefetch int        // ready batches each worker may hold; 0 means 2
}

// Batch is a run of preprocessed images in NCHW float32.
type Batch struct {
	Seq    int       // batch number within the epoch, from 0
	Shape  Shape     // of one image
	X      []float32 // len(Labels) × Shape.Len() values
	Labels []int
	Index  []int // the dataset index of each image
}

// N is the number of images in b.
func (b *Batch) N() int { return len(b.Labels) }

// NumBatches is how many batches an epoch of n images has; Batches yields
// those from cfg.Skip on.
func NumBatches(n int, cfg BatchConfig) int {
	if cfg.Size <= 0 {
		return 0
	}
	if cfg.DropLast {
		return n / cfg.Size
	}
	return (n + cfg.Size - 1) / cfg.Size
}

// Order is the sequence of dataset indices one epoch visits.
func Order(n int, cfg BatchConfig) []int {
	if cfg.Shuffle {
		return Permutation(n, cfg.Seed, cfg.Epoch)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

type batchResult struct {
	b   *Batch
	err error
}

// Batches yields one epoch of ds in batches, decoded, preprocessed and
// augmented ahead of the consumer by cfg.Workers goroutines.
//
// Worker w builds batches w, w+W, w+2W, ... into its own bounded channel
// and the consumer reads them round-robin, so batches arrive in order and
// at most W×Prefetch wait in memory. The image at dataset index i is
// augmented with NewRand(Seed, augment tag, Epoch, i): the same config
// gives identical batches whatever the worker count. The first error (a
// bad config, an unreadable image, a shape mismatch, ctx canceled) is
// yielded with a nil batch and ends the sequence. Stopping the loop early
// stops the workers.
func Batches(ctx context.Context, ds Dataset, cfg BatchConfig) iter.Seq2[*Batch, error] {
	return func(yield func(*Batch, error) bool) {
		if err := checkBatchConfig(ds, cfg); err != nil {
			yield(nil, err)
			return
		}
		order, nb := Order(ds.Len(), cfg), NumBatches(ds.Len(), cfg)
		workers := cfg.Workers
		if workers <= 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		workers = max(1, min(workers, nb-cfg.Skip))
		prefetch := cfg.Prefetch
		if prefetch <= 0 {
			prefetch = 2
		}
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		chans := make([]chan batchResult, workers)
		for w := range chans {
			chans[w] = make(chan batchResult, prefetch)
			wg.Go(func() { runWorker(ctx, ds, cfg, order, w, workers, nb, chans[w]) })
		}
		for seq := cfg.Skip; seq < nb; seq++ {
			var res batchResult
			select {
			case res = <-chans[(seq-cfg.Skip)%workers]:
			case <-ctx.Done():
				res.err = fmt.Errorf("dataset: batches: %w", ctx.Err())
			}
			if res.err != nil {
				yield(nil, res.err)
				return
			}
			if !yield(res.b, nil) {
				return
			}
		}
	}
}

// runWorker builds batches w, w+stride, ... until done, an error or ctx ends.
func runWorker(ctx context.Context, ds Dataset, cfg BatchConfig, order []int, w, stride, nb int, out chan<- batchResult) {
	for seq := cfg.Skip + w; seq < nb; seq += stride {
		b, err := buildBatch(ds, cfg, order, seq)
		select {
		case out <- batchResult{b, err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// buildBatch decodes and preprocesses batch seq.
func buildBatch(ds Dataset, cfg BatchConfig, order []int, seq int) (*Batch, error) {
	idx := order[seq*cfg.Size : min(len(order), (seq+1)*cfg.Size)]
	shape, err := cfg.Prep.OutShape(ds.Shape(idx[0]))
	if err != nil {
		return nil, fmt.Errorf("%s: image %d: %w", ds.Info().Name, idx[0], err)
	}
	b := &Batch{Seq: seq, Shape: shape, X: make([]float32, len(idx)*shape.Len()),
		Labels: make([]int, len(idx)), Index: append([]int(nil), idx...)}
	n := shape.Len()
	for k, i := range idx {
		img, err := ds.Image(i)
		if err != nil {
			return nil, err
		}
		if out, err := cfg.Prep.OutShape(img.Shape); err != nil {
			return nil, fmt.Errorf("%s: image %d: %w", ds.Info().Name, i, err)
		} else if out != shape {
			return nil, fmt.Errorf("%w: %s: image %d becomes %v, batch %d holds %v images", ErrShape, ds.Info().Name, i, out, seq, shape)
		}
		var r randSource
		if cfg.Aug != (Augment{}) {
			r = NewRand(cfg.Seed, tagAugment, cfg.Epoch, i)
		}
		if err := cfg.Prep.apply(b.X[k*n:(k+1)*n], img, cfg.Aug, r); err != nil {
			return nil, fmt.Errorf("%s: image %d: %w", ds.Info().Name, i, err)
		}
		b.Labels[k] = ds.Label(i)
	}
	return b, nil
}

func checkBatchConfig(ds Dataset, cfg BatchConfig) error {
	if cfg.Size <= 0 {
		return fmt.Errorf("dataset: batch size %d, want > 0", cfg.Size)
	}
	if cfg.Skip < 0 {
		return fmt.Errorf("dataset: skip %d batches, want >= 0", cfg.Skip)
	}
	if cfg.Aug.Pad < 0 {
		return fmt.Errorf("dataset: augmentation padding %d, want >= 0", cfg.Aug.Pad)
	}
	if ds.Len() == 0 {
		return fmt.Errorf("%w: %s holds no images", ErrEmpty, ds.Info().Name)
	}
	if NumBatches(ds.Len(), cfg) == 0 {
		return fmt.Errorf("%w: %s: %d images make no full batch of %d", ErrEmpty, ds.Info().Name, ds.Len(), cfg.Size)
	}
	return cfg.Prep.Validate()
}
