package dataset

import (
	"math/bits"
	"math/rand/v2"
)

// Augment is training-time augmentation, applied after the geometric and
// channel steps of Preprocess and before normalization, in this order:
//
//   - Pad > 0: pad-and-crop. Pad P zero pixels (black, before
//     normalization) on every side and crop back to the original size at an
//     offset (top, left) drawn uniformly from [0, 2P]×[0, 2P], as
//     torchvision's RandomCrop(size, padding=P) does;
//   - Flip: mirror left-right with probability 1/2
//     (RandomHorizontalFlip).
//
// The draws come from the given source in that order: top, left, flip.
type Augment struct {
	Pad  int
	Flip bool
}

// randSource is the part of *rand.Rand augmentation needs. Only Uint64 is
// used, whose stream the PCG algorithm fixes, so results do not depend on
// how a Go release implements IntN or Perm.
type randSource interface{ Uint64() uint64 }

// Apply augments the CHW image x of shape s, returning a new slice (or x
// itself when nothing applies).
func (a Augment) Apply(x []float32, s Shape, r *rand.Rand) []float32 {
	return a.apply(x, s, r)
}

func (a Augment) apply(x []float32, s Shape, r randSource) []float32 {
	if a.Pad > 0 {
		top, left := intN(r, 2*a.Pad+1)-a.Pad, intN(r, 2*a.Pad+1)-a.Pad
		x = shift(x, s, top, left)
	}
	if a.Flip && r.Uint64()>>63 == 1 {
		x = flip(x, s)
	}
	return x
}

// shift returns out(y, x) = in(y+dy, x+dx), zero outside the image.
func shift(in []float32, s Shape, dy, dx int) []float32 {
	out := make([]float32, len(in))
	for c := range s.C {
		for y := range s.H {
			sy := y + dy
			if sy < 0 || sy >= s.H {
				continue
			}
			x0, x1 := max(0, -dx), min(s.W, s.W-dx)
			if x0 >= x1 {
				continue
			}
			dst := out[(c*s.H+y)*s.W:]
			src := in[(c*s.H+sy)*s.W:]
			copy(dst[x0:x1], src[x0+dx:x1+dx])
		}
	}
	return out
}

// flip mirrors every row.
func flip(in []float32, s Shape) []float32 {
	out := make([]float32, len(in))
	for row := 0; row < s.C*s.H; row++ {
		src, dst := in[row*s.W:(row+1)*s.W], out[row*s.W:(row+1)*s.W]
		for x := range src {
			dst[s.W-1-x] = src[x]
		}
	}
	return out
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

// Stream tags keep the shuffle and augmentation streams apart.
const (
	tagShuffle = 1
	tagAugment = 2
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
	r := NewRand(seed, tagShuffle, epoch, 0)
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
