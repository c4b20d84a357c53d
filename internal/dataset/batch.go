package dataset

import (
	"fmt"
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
	Workers  int        // image workers; 0 means GOMAXPROCS
	// Prefetch is how many batches may be filled ahead of the one the
	// consumer holds; 0 means 2. MaxBytes lowers it for large batches.
	Prefetch int
	// MaxBytes bounds the float data of the batches filled ahead (at least
	// one is); 0 means DefaultMaxBytes.
	MaxBytes int64
}

// DefaultMaxBytes is the memory the batches filled ahead may take by
// default: 256 MiB, about 13 batches of 32 images of 3×224×224.
const DefaultMaxBytes = 256 << 20

// Batch is a run of preprocessed images in float32, NCHW or NHWC.
type Batch struct {
	Seq    int       // batch number within the epoch, from 0
	Shape  Shape     // of one image
	Layout string    // NCHW or NHWC: the order of X's dimensions
	X      []float32 // len(Labels) × Shape.Len() values
	Labels []int
	Index  []int // the dataset index of each image
}

// N is the number of images in b.
func (b *Batch) N() int { return len(b.Labels) }

// Dims is X's shape in Layout order: [N, C, H, W] or [N, H, W, C].
func (b *Batch) Dims() []int {
	if b.Layout == NHWC {
		return []int{b.N(), b.Shape.H, b.Shape.W, b.Shape.C}
	}
	return []int{b.N(), b.Shape.C, b.Shape.H, b.Shape.W}
}

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
