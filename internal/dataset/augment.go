package dataset

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// Augment is training-time augmentation. Its random draws come from one
// generator per image (NewRand(seed, augment tag, epoch, index)), in this
// order:
//
//   - Crop: when Preprocess has a CenterCrop, take that window at an offset
//     (top, left) drawn uniformly from every position inside the resized
//     image instead of its center (torchvision's RandomCrop after Resize:
//     the 224 crop of the 256 resize; along a side the crop is larger than,
//     every position of the image inside the window, as with pad_if_needed),
//     and skip Pad, which the random window replaces. Without a CenterCrop
//     it does nothing;
//   - Pad > 0: pad-and-crop. Pad P black pixels (0 before normalization) on
//     every side and crop back to the original size at an offset (top,
//     left) drawn uniformly from [0, 2P]×[0, 2P], as torchvision's
//     RandomCrop(size, padding=P) does;
//   - Flip: mirror left-right with probability 1/2
//     (RandomHorizontalFlip).
//
// The steps apply after Preprocess's geometric and channel steps and before
// normalization.
type Augment struct {
	Crop bool
	Pad  int
	Flip bool
}

// randSource is the part of *rand.Rand augmentation needs. Only Uint64 is
// used, whose stream the PCG algorithm fixes, so results do not depend on
// how a Go release implements IntN or Perm.
type randSource interface{ Uint64() uint64 }

// placement is where each output pixel is read from after pad-and-crop and
// flip: out(y, x) = in(y+dy, x+dx), or in(y+dy, w-1-x+dx) when flipped;
// black outside the image.
type placement struct {
	dy, dx int
	flip   bool
}

// draw takes the pad-and-crop offset and the flip from r (nil: none).
func (a Augment) draw(r randSource) placement {
	var p placement
	if r == nil {
		return p
	}
	if a.Pad > 0 {
		p.dy, p.dx = intN(r, 2*a.Pad+1)-a.Pad, intN(r, 2*a.Pad+1)-a.Pad
	}
	p.flip = a.Flip && r.Uint64()>>63 == 1
	return p
}

// intN is uniform in [0, n) for n > 0 (Lemire's multiply-and-reject).
func intN(r randSource, n int) int {
	bound := uint64(n)
	hi, lo := bits.Mul64(r.Uint64(), bound)
	if lo < bound {
		thresh := -bound % bound
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), bound)
		}
	}
	return int(hi)
}

// mix is SplitMix64's finalizer, used to derive independent PCG streams.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// Stream tags keep the shuffle, augmentation and holdout streams apart.
const (
	tagShuffle = 1
	tagAugment = 2
	tagHoldout = 3
)

// NewRand is the PCG generator for one purpose (tag), seed, epoch and item.
// Every random choice of the pipeline comes from such a generator, so it is
// a pure function of (seed, epoch, item) and not of scheduling.
func NewRand(seed uint64, tag, epoch, item int) *rand.Rand {
	return rand.New(rand.NewPCG(mix(seed^mix(uint64(tag))), mix(uint64(epoch)<<32^uint64(item))))
}

// Permutation is epoch's shuffled order of n items for seed: a
// Fisher-Yates shuffle driven by NewRand(seed, shuffle tag, epoch, 0).
func Permutation(n int, seed uint64, epoch int) []int {
	return permute(n, NewRand(seed, tagShuffle, epoch, 0))
}

// permute is a Fisher-Yates shuffle of 0..n-1 driven by r.
func permute(n int, r randSource) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := intN(r, i+1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// Holdout splits indices 0..n-1 into the ones to train on and a held-out
// slice of round(frac·n) of them, at most most (no cap when most <= 0),
// both in increasing order. The slice is a pure function of (n, frac,
// most, seed), drawn from a stream of its own, so it does not change with
// the batch size, the epoch or the worker count.
func Holdout(n int, frac float64, most int, seed uint64) (train, held []int) {
	k := int(math.Round(max(0, min(1, frac)) * float64(n)))
	if most > 0 {
		k = min(k, most)
	}
	p := permute(n, NewRand(seed, tagHoldout, 0, 0))
	held, train = p[:k:k], p[k:]
	slices.Sort(held)
	slices.Sort(train)
	return train, held
}
