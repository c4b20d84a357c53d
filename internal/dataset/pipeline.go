package dataset

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"
)

// Batches yields one epoch of ds in batches, decoded, preprocessed and
// augmented ahead of the consumer by cfg.Workers goroutines.
//
// A producer walks the epoch's batches in order, at most Prefetch (and
// MaxBytes) ahead of the consumer, and hands out their images one by one;
// each worker decodes, preprocesses and augments an image straight into its
// row of the batch. So all workers help with every batch, the consumer gets
// batches in order, and memory stays bounded. The image at dataset index i
// is augmented with NewRand(Seed, augment tag, Epoch, i) and written at its
// place in the batch: the same config gives identical batches whatever the
// worker count or scheduling. The first error in epoch order (a bad config,
// an unreadable image, a shape mismatch, ctx canceled) is yielded with a
// nil batch and ends the sequence. Stopping the loop early stops the
// workers. The batch yielded last is the consumer's until the next one is
// asked for; Batches does not reuse its memory.
func Batches(ctx context.Context, ds Dataset, cfg BatchConfig) iter.Seq2[*Batch, error] {
	return func(yield func(*Batch, error) bool) {
		if err := checkBatchConfig(ds, cfg); err != nil {
			yield(nil, err)
			return
		}
		p, err := newPipeline(ds, cfg)
		if err != nil || p.nb <= cfg.Skip {
			if err != nil {
				yield(nil, err)
			}
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		jobs, tasks := make(chan *job, p.ahead), make(chan task, p.workers)
		wg.Go(func() { p.produce(ctx, jobs, tasks) })
		for range p.workers {
			wg.Go(func() { p.work(ctx, tasks) })
		}
		for range p.nb - cfg.Skip {
			b, err := next(ctx, jobs)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(b, nil) {
				return
			}
		}
	}
}

// pipeline is one epoch's plan: the order, the batch count and how many
// workers and batches in flight.
type pipeline struct {
	ds             Dataset
	cfg            BatchConfig
	order          []int
	nb             int
	workers, ahead int
	aug            bool // whether images draw augmentation
}

// job is one batch being filled: left counts the images still to come;
// done closes when none are left. err is the error of the lowest row that
// failed, so the error reported does not depend on scheduling.
type job struct {
	b     *Batch
	left  atomic.Int64
	done  chan struct{}
	mu    sync.Mutex
	err   error
	errAt int
}

// task is row k of a job.
type task struct {
	j *job
	k int
}

func newPipeline(ds Dataset, cfg BatchConfig) (*pipeline, error) {
	p := &pipeline{ds: ds, cfg: cfg, order: Order(ds.Len(), cfg), nb: NumBatches(ds.Len(), cfg),
		aug: cfg.Aug != (Augment{})}
	if cfg.Skip >= p.nb {
		return p, nil
	}
	first, err := p.shapeOf(p.order[cfg.Skip*cfg.Size])
	if err != nil {
		return nil, err
	}
	images := min(len(p.order), p.nb*cfg.Size) - cfg.Skip*cfg.Size
	p.workers = cfg.Workers
	if p.workers <= 0 {
		p.workers = runtime.GOMAXPROCS(0)
	}
	p.workers = max(1, min(p.workers, images))
	budget := cfg.MaxBytes
	if budget <= 0 {
		budget = DefaultMaxBytes
	}
	p.ahead = cfg.Prefetch
	if p.ahead <= 0 {
		p.ahead = 2
	}
	p.ahead = int(max(1, min(int64(p.ahead), budget/(4*int64(cfg.Size*first.Len())))))
	return p, nil
}

// shapeOf is what image i becomes, from its header.
func (p *pipeline) shapeOf(i int) (Shape, error) {
	in, err := p.ds.Shape(i)
	if err != nil {
		return Shape{}, err
	}
	out, err := p.cfg.Prep.OutShape(in)
	if err != nil {
		return Shape{}, fmt.Errorf("%s: %w", where(p.ds, i), err)
	}
	return out, nil
}

// produce queues the epoch's batches in order and hands out their rows.
func (p *pipeline) produce(ctx context.Context, jobs chan<- *job, tasks chan<- task) {
	defer close(tasks)
	for seq := p.cfg.Skip; seq < p.nb; seq++ {
		j := &job{done: make(chan struct{})}
		select {
		case jobs <- j:
		case <-ctx.Done():
			return
		}
		// Allocated once the queue has room, so at most Prefetch batches
		// (plus the consumer's) hold memory.
		if err := p.start(j, seq); err != nil {
			j.err = err
			close(j.done)
			return
		}
		for k := range j.b.Index {
			select {
			case tasks <- task{j, k}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// start allocates batch seq, with its labels, for its rows to be filled.
func (p *pipeline) start(j *job, seq int) error {
	idx := p.order[seq*p.cfg.Size : min(len(p.order), (seq+1)*p.cfg.Size)]
	shape, err := p.shapeOf(idx[0])
	if err != nil {
		return err
	}
	b := &Batch{Seq: seq, Shape: shape, Layout: p.cfg.Prep.Layout, X: make([]float32, len(idx)*shape.Len()),
		Labels: make([]int, len(idx)), Index: append([]int(nil), idx...)}
	if b.Layout == "" {
		b.Layout = NCHW
	}
	for k, i := range idx {
		b.Labels[k] = p.ds.Label(i)
	}
	j.b = b
	j.left.Store(int64(len(idx)))
	return nil
}

// work fills rows until the tasks run out or ctx ends.
func (p *pipeline) work(ctx context.Context, tasks <-chan task) {
	for {
		select {
		case t, ok := <-tasks:
			if !ok {
				return
			}
			t.j.finish(t.k, p.fill(t.j.b, t.k))
		case <-ctx.Done():
			return
		}
	}
}

// fill decodes, preprocesses and augments row k of b in place.
func (p *pipeline) fill(b *Batch, k int) error {
	i := b.Index[k]
	img, err := p.ds.Image(i)
	if err != nil {
		return err
	}
	if out, err := p.cfg.Prep.OutShape(img.Shape); err != nil {
		return fmt.Errorf("%s: %w", where(p.ds, i), err)
	} else if out != b.Shape {
		return fmt.Errorf("%w: %s becomes %v, where batch %d holds %v images (images of mixed sizes need --resize or --center-crop)", ErrShape, where(p.ds, i), out, b.Seq, b.Shape)
	}
	var r randSource
	if p.aug {
		r = NewRand(p.cfg.Seed, tagAugment, p.cfg.Epoch, i)
	}
	n := b.Shape.Len()
	if err := p.cfg.Prep.apply(b.X[k*n:(k+1)*n], img, p.cfg.Aug, r); err != nil {
		return fmt.Errorf("%s: %w", where(p.ds, i), err)
	}
	return nil
}

// finish records row k's outcome and closes done after the last row.
func (j *job) finish(k int, err error) {
	if err != nil {
		j.mu.Lock()
		if j.err == nil || k < j.errAt {
			j.err, j.errAt = err, k
		}
		j.mu.Unlock()
	}
	if j.left.Add(-1) == 0 {
		close(j.done)
	}
}

// next waits for the next batch in order to be complete.
func next(ctx context.Context, jobs <-chan *job) (*Batch, error) {
	var j *job
	select {
	case j = <-jobs:
	case <-ctx.Done():
		return nil, fmt.Errorf("dataset: batches: %w", ctx.Err())
	}
	select {
	case <-j.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("dataset: batches: %w", ctx.Err())
	}
	if j.err != nil {
		return nil, j.err
	}
	return j.b, nil
}
