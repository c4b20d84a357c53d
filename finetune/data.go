package finetune

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
)

// Source is a labelled image set read by index, already preprocessed
// (scaled, normalized) into float32 CHW samples. internal/dataset's loaders
// are adapted to it by the CLI; SliceSource serves data held in memory.
type Source interface {
	Len() int
	// SampleShape is [C, H, W].
	SampleShape() []int
	// Load writes the samples at idx into x (len(idx)·C·H·W values, NCHW)
	// and their labels into labels.
	Load(idx []int, x []float32, labels []int) error
}

// SliceSource is a Source over samples in memory.
type SliceSource struct {
	X      []float32 // N·C·H·W
	Shape  []int     // C, H, W
	Labels []int
}

// Len is the number of samples.
func (s *SliceSource) Len() int { return len(s.Labels) }

// SampleShape is [C, H, W].
func (s *SliceSource) SampleShape() []int { return s.Shape }

// Load copies samples idx.
func (s *SliceSource) Load(idx []int, x []float32, labels []int) error {
	k := ir.NumElements(s.Shape)
	if len(s.X) != k*len(s.Labels) {
		return fmt.Errorf("finetune: %d sample values do not make %d samples of %v", len(s.X), len(s.Labels), s.Shape)
	}
	for j, i := range idx {
		copy(x[j*k:(j+1)*k], s.X[i*k:(i+1)*k])
		labels[j] = s.Labels[i]
	}
	return nil
}

// Augment is the training-time augmentation: a random crop of the sample
// padded by Pad pixels on each side and a horizontal flip with probability
// ½. Padding takes Fill[c] in channel c (one value for all channels, or
// none for 0, the mean colour after normalization); torchvision pads black
// before normalizing, which DatasetSource.Black gives.
type Augment struct {
	Pad  int
	Flip bool
	Fill []float32
}

// batch is one minibatch, or the error that ended the stream.
type batch struct {
	x      *autograd.Tensor
	labels []int
	err    error
}

// batchPlan fixes an epoch's order: shuffled from (seed, epoch) when
// shuffle is set, in order otherwise.
type batchPlan struct {
	src      Source
	size     int
	dropLast bool
	order    []int
	aug      Augment
	seed     uint64
	epoch    uint64
}

func newPlan(src Source, size int, dropLast, shuffle bool, aug Augment, seed uint64, epoch int) *batchPlan {
	p := &batchPlan{src: src, size: size, dropLast: dropLast, aug: aug, seed: seed, epoch: uint64(epoch)}
	if shuffle {
		p.order = rand.New(rand.NewPCG(seed, 0x5eed0000+uint64(epoch))).Perm(src.Len())
	} else {
		p.order = make([]int, src.Len())
		for i := range p.order {
			p.order[i] = i
		}
	}
	return p
}

// count is the number of batches in the epoch.
func (p *batchPlan) count() int {
	if p.dropLast {
		return len(p.order) / p.size
	}
	return (len(p.order) + p.size - 1) / p.size
}

// stream loads batches in a goroutine, one ahead of the consumer (one
// waiting, the next being loaded: a step takes longer than a load, and
// each batch in flight is memory), until the epoch ends or ctx is done.
// Each batch depends only on (seed, epoch, index).
func (p *batchPlan) stream(ctx context.Context) <-chan batch {
	ch := make(chan batch, 1)
	go func() {
		defer close(ch)
		for b := range p.count() {
			bt := p.load(b)
			select {
			case ch <- bt:
			case <-ctx.Done():
				return
			}
			if bt.err != nil {
				return
			}
		}
	}()
	return ch
}

func (p *batchPlan) load(b int) batch {
	idx := p.order[b*p.size : min((b+1)*p.size, len(p.order))]
	shape := append([]int{len(idx)}, p.src.SampleShape()...)
	x := make([]float32, ir.NumElements(shape))
	labels := make([]int, len(idx))
	if err := p.src.Load(idx, x, labels); err != nil {
		return batch{err: fmt.Errorf("finetune: loading batch %d: %w", b, err)}
	}
	if p.aug.Pad > 0 || p.aug.Flip {
		r := rand.New(rand.NewPCG(p.seed^0xa06, p.epoch<<32|uint64(b)))
		augment(x, shape, p.aug, r)
	}
	return batch{x: autograd.New(shape, x), labels: labels}
}

// augment crops and flips each sample of x [N, C, H, W] in place.
func augment(x []float32, shape []int, a Augment, r *rand.Rand) {
	c, h, w := shape[1], shape[2], shape[3]
	tmp := make([]float32, c*h*w)
	for n := range shape[0] {
		dy, dx := 0, 0
		if a.Pad > 0 {
			dy, dx = r.IntN(2*a.Pad+1)-a.Pad, r.IntN(2*a.Pad+1)-a.Pad
		}
		flip := a.Flip && r.IntN(2) == 1
		shiftFlip(x[n*c*h*w:(n+1)*c*h*w], tmp, []int{c, h, w}, dy, dx, flip, a)
	}
}

// shiftFlip sets s(y, x) = s(y+dy, x+dx) (the crop at offset dy, dx of the
// padded image), then mirrors it horizontally when flip is set; pixels from
// outside take the fill value.
func shiftFlip(s, tmp []float32, chw []int, dy, dx int, flip bool, a Augment) {
	c, h, w := chw[0], chw[1], chw[2]
	copy(tmp, s)
	for ch := range c {
		for y := range h {
			for xx := range w {
				sy, sx := y+dy, xx+dx
				if flip {
					sx = w - 1 - xx + dx
				}
				v := a.fill(ch)
				if sy >= 0 && sy < h && sx >= 0 && sx < w {
					v = tmp[(ch*h+sy)*w+sx]
				}
				s[(ch*h+y)*w+xx] = v
			}
		}
	}
}

func (a Augment) fill(ch int) float32 {
	switch {
	case len(a.Fill) == 1:
		return a.Fill[0]
	case ch < len(a.Fill):
		return a.Fill[ch]
	}
	return 0
}

// checkSource validates a data source against the model's input.
func checkSource(name string, s Source, want []int, minLen int) error {
	if s == nil {
		return fmt.Errorf("finetune: no %s data", name)
	}
	if s.Len() < minLen {
		return fmt.Errorf("finetune: %s data has %d samples, need at least %d: %w", name, s.Len(), minLen, ErrEmptyData)
	}
	got := s.SampleShape()
	if len(got) != 3 || (len(want) != 3 && len(want) != 0) {
		return fmt.Errorf("finetune: %s samples have shape %v; the model wants [C H W] %v: %w", name, got, want, ErrSampleShape)
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
