package finetune

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Holdout defaults: a tenth of the training data, at most 5,000 images.
const (
	DefaultHoldout    = 0.1
	DefaultHoldoutMax = 5000
)

// Holdout says which training images were held out to decide what the tool
// decides (the snapshot kept, BN re-estimation checks, layer sensitivity),
// so that the test split serves only the final verification.
type Holdout struct {
	Images      int    `json:"images"`       // held out
	TrainImages int    `json:"train_images"` // left to train on
	Seed        uint64 `json:"seed"`
	Rule        string `json:"rule"`
}

// HoldoutSize is how many of n training images a holdout setting takes:
// amount < 1 is a fraction of n, capped at DefaultHoldoutMax; amount >= 1
// is a count. At least one image is left to train on.
func HoldoutSize(n int, amount float64) (int, error) {
	if amount < 0 || math.IsNaN(amount) || math.IsInf(amount, 0) {
		return 0, fmt.Errorf("finetune: holdout %v must be a fraction in [0, 1) or an image count", amount)
	}
	k := int(amount)
	if amount < 1 {
		k = min(int(math.Round(amount*float64(n))), DefaultHoldoutMax)
	} else if float64(k) != amount {
		return 0, fmt.Errorf("finetune: holdout %v: a count must be a whole number", amount)
	}
	if amount > 0 && k == 0 {
		k = 1
	}
	if k >= n-1 {
		return 0, fmt.Errorf("finetune: holdout of %d images leaves %d of %d to train on: %w", k, n-k, n, ErrEmptyData)
	}
	return k, nil
}

// SplitHoldout holds out HoldoutSize(src.Len(), amount) images of src: the
// first ones of a permutation drawn from seed. Both parts keep src's order.
// With amount 0 it returns src and no holdout.
func SplitHoldout(src Source, amount float64, seed uint64) (train, held Source, info Holdout, err error) {
	if src == nil {
		return nil, nil, info, fmt.Errorf("finetune: no training data: %w", ErrEmptyData)
	}
	n := src.Len()
	k, err := HoldoutSize(n, amount)
	if err != nil || k == 0 {
		return src, nil, Holdout{TrainImages: n, Rule: "no holdout: the last snapshot is kept and nothing is measured before verification"}, err
	}
	perm := rand.New(rand.NewPCG(seed, 0x401d)).Perm(n)
	out, in := slices.Clone(perm[:k]), slices.Clone(perm[k:])
	slices.Sort(out)
	slices.Sort(in)
	info = Holdout{Images: k, TrainImages: n - k, Seed: seed,
		Rule: fmt.Sprintf("the first %d of a random permutation of the %d training images (PCG seed %d) are held out; "+
			"they choose the snapshot kept, check BN re-estimation and rank layer sensitivity; the test split only verifies", k, n, seed)}
	return &subset{src, in}, &subset{src, out}, info, nil
}

// subset serves the images idx of src.
type subset struct {
	src Source
	idx []int
}

func (s *subset) Len() int           { return len(s.idx) }
func (s *subset) SampleShape() []int { return s.src.SampleShape() }

func (s *subset) Load(idx []int, x []float32, labels []int) error {
	m := make([]int, len(idx))
	for j, i := range idx {
		m[j] = s.idx[i]
	}
	return s.src.Load(m, x, labels)
}
