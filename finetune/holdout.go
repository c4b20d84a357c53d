package finetune

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/internal/dataset"
)

// Holdout defaults: a tenth of the training data, at most 5,000 images.
const (
	DefaultHoldout    = 0.1
	DefaultHoldoutMax = 5000
)

// HoldoutInfo says which training images were held out to decide what the
// tool decides (the snapshot kept, BN re-estimation checks, layer
// sensitivity), so that the test split serves only the final verification.
type HoldoutInfo struct {
	Images      int    `json:"images"`       // held out
	TrainImages int    `json:"train_images"` // left to train on
	Seed        uint64 `json:"seed"`
	// Data is the held-out data set of the user's own (GivenHoldout);
	// empty when the images were drawn from the training data.
	Data string `json:"data,omitempty"`
	Rule string `json:"rule"`
}

// GivenHoldout describes a held-out data set of the user's own, path, of
// images images, beside trainImages that all train: images the source
// model may never have seen, unlike a slice of its training data.
func GivenHoldout(path string, images, trainImages int) HoldoutInfo {
	return HoldoutInfo{Images: images, TrainImages: trainImages, Data: path,
		Rule: fmt.Sprintf("the %d images of %s are held out; they choose the snapshot kept, check BN re-estimation "+
			"and rank layer sensitivity; all %d training images train; the test split only verifies", images, path, trainImages)}
}

// HoldoutSize is how many of n training images a holdout setting takes:
// amount < 1 is a fraction of n, capped at DefaultHoldoutMax; amount >= 1
// is a count. At least two images are left to train on (a batch's
// statistics need two).
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
		return 0, fmt.Errorf("%w: a holdout of %d images from %d leaves fewer than 2 to train on", ErrEmptyData, k, n)
	}
	return k, nil
}

// Holdout holds out HoldoutSize(src.Len(), amount) images of src, drawn by
// dataset.Holdout from seed (the pipeline's one split: a pure function of
// the count and the seed, not of the batch size or the workers). Both parts
// are views of src's data with its preprocessing, in src's order. With
// amount 0 it returns src and no held-out Source.
func Holdout(src Source, amount float64, seed uint64) (train, held Source, info HoldoutInfo, err error) {
	if src == nil {
		return nil, nil, info, fmt.Errorf("finetune: no training data: %w", ErrEmptyData)
	}
	n := src.Len()
	k, err := HoldoutSize(n, amount)
	if err != nil || k == 0 {
		return src, nil, HoldoutInfo{TrainImages: n, Rule: "no holdout: the last snapshot is kept and nothing is measured before verification"}, err
	}
	ds, prep, err := src.Data()
	if err != nil {
		return nil, nil, info, err
	}
	tr, ho := dataset.Holdout(n, 1, k, seed) // all of them, capped at k: k images
	if train, err = view(src, ds, prep, tr); err != nil {
		return nil, nil, info, err
	}
	if held, err = view(src, ds, prep, ho); err != nil {
		return nil, nil, info, err
	}
	info = HoldoutInfo{Images: k, TrainImages: n - k, Seed: seed,
		Rule: fmt.Sprintf("%d of the %d training images drawn by seed %d (dataset.Holdout) are held out; "+
			"they choose the snapshot kept, check BN re-estimation and rank layer sensitivity; the test split only verifies", k, n, seed)}
	return train, held, info, nil
}

// view is the Source of ds's images idx with prep, the data of src. It
// keeps src's sample shape, which src's first image set and the checks
// before training held to the model's: an image of another shape is named
// by the pipeline as it decodes it, not blamed on all the view's samples.
func view(src Source, ds dataset.Dataset, prep dataset.Preprocess, idx []int) (Source, error) {
	sub, err := dataset.Subset(ds, idx)
	if err != nil {
		return nil, fmt.Errorf("finetune: %w", err)
	}
	if d, ok := src.(*DatasetSource); ok {
		return &DatasetSource{ds: sub, prep: prep, shape: d.shape}, nil
	}
	return NewDatasetSource(sub, prep)
}

// pairedStdErr is the standard error of the difference of two accuracies
// taken on the same n images, a[i] and b[i] saying whether each model gets
// image i right: sqrt(d − (r−w)²/n)/n, where r and w count the images only
// a and only b gets right and d = r + w (the variance of a paired
// difference of proportions, as McNemar's test has it). Images both get
// right or wrong carry no uncertainty about the difference. NaN when
// either is missing or they differ in length.
func pairedStdErr(a, b []bool) float64 {
	if len(a) == 0 || len(a) != len(b) {
		return math.NaN()
	}
	var r, w float64
	for i := range a {
		switch {
		case a[i] && !b[i]:
			r++
		case b[i] && !a[i]:
			w++
		}
	}
	n := float64(len(a))
	return math.Sqrt(max(0, r+w-(r-w)*(r-w)/n)) / n
}
