package infer

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// maxElements is the hard bound on any shape's element count (2^31, 8 GiB
// of float32), whatever Options.MaxElements says: shape arithmetic stays in
// range, and larger shapes come from corrupt or hostile models.
const maxElements = 1 << 31

// ctx is the per-run state an op sees.
type ctx struct {
	node   *schema.Node   // the running node: op, opset, typed attributes
	out    []schema.Value // its outputs' types and shapes, from the op layer
	shapes [][]int        // the outputs' shapes as ints
	int8   bool           // Options.Int8Activations
	pool   *pool
	fusion *runFusion // the running step's folded Add and Relu, or nil
	prog   *Program   // for caches of constant weights; nil in tests
}

// opset is the opset of the running node's domain.
func (c *ctx) opset() int64 { return c.node.Opset }

// shape is output i's shape as the op layer inferred it (a fresh slice
// the op may keep).
func (c *ctx) shape(i int) []int { return c.shapes[i] }

// attrs returns the running node's attributes as *T.
func attrs[T any](c *ctx) *T { return c.node.Attrs.(*T) }

// f32 returns a zeroed float32 tensor of the given shape, reusing a buffer
// released earlier in this run when one of the same size is free.
func (c *ctx) f32(shape []int) (*ir.Tensor, []float32, error) {
	n, err := c.size(shape)
	if err != nil {
		return nil, nil, err
	}
	buf := c.pool.get(n)
	return &ir.Tensor{DType: ir.Float32, Shape: shape, Data: buf}, buf, nil
}

// f32Overwritten is f32 for an op that writes every element: a recycled
// buffer is not cleared first.
func (c *ctx) f32Overwritten(shape []int) (*ir.Tensor, []float32, error) {
	n, err := c.size(shape)
	if err != nil {
		return nil, nil, err
	}
	buf := c.pool.take(n)
	return &ir.Tensor{DType: ir.Float32, Shape: shape, Data: buf}, buf, nil
}

// alloc returns a zeroed tensor of any type; float32 comes from the pool.
func (c *ctx) alloc(dt ir.DType, shape []int) (*ir.Tensor, error) {
	if dt == ir.Float32 {
		t, _, err := c.f32(shape)
		return t, err
	}
	n, err := c.size(shape)
	if err != nil {
		return nil, err
	}
	data, err := dt.MakeSlice(n)
	if err != nil {
		return nil, unsupported("element type %v", dt)
	}
	return &ir.Tensor{DType: dt, Shape: shape, Data: data}, nil
}

// size is the element count of a tensor the run is about to allocate: the
// one choke point where the element limit (Options.MaxElements) is enforced,
// so no model, however its shapes were crafted, makes the executor allocate
// more than the limit per tensor.
func (c *ctx) size(shape []int) (int, error) {
	n, err := numElements(shape)
	if err != nil {
		return 0, err
	}
	if limit := c.maxElements(); n > limit {
		return 0, &LimitError{Shape: clone(shape), Elements: n, Limit: limit}
	}
	return n, nil
}

// maxElements is the run's per-tensor element limit.
func (c *ctx) maxElements() int {
	if c.prog != nil {
		return c.prog.opts.maxElements()
	}
	return DefaultMaxElements
}

// numElements is the product of shape, or an error for negative dims and
// products beyond maxElements (which also catches overflow).
func numElements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d != 0 && n > maxElements/d {
			return 0, fmt.Errorf("shape %v has more than %d elements: %w", shape, maxElements, ErrTooLarge)
		}
		n *= d
	}
	return n, nil
}

// pool recycles float32 buffers within one run. A buffer returns to the pool
// when no live value refers to it any more.
type pool struct {
	free map[int][][]float32
	refs map[unsafe.Pointer]int // live references to pool-made buffers
	made int                    // float32 elements allocated fresh
}

func newPool() *pool {
	return &pool{free: map[int][][]float32{}, refs: map[unsafe.Pointer]int{}}
}

// get returns a zeroed buffer of n elements. A fresh buffer is zero
// already, so only a recycled one is cleared: memory that no op writes (a
// shape-only pass) is then never touched.
func (p *pool) get(n int) []float32 {
	buf, fresh := p.takeFresh(n)
	if !fresh {
		clear(buf)
	}
	return buf
}

// take returns a buffer of n elements with arbitrary contents.
func (p *pool) take(n int) []float32 {
	buf, _ := p.takeFresh(n)
	return buf
}

// takeFresh is take that also reports whether the buffer was just made.
func (p *pool) takeFresh(n int) ([]float32, bool) {
	if size := p.fit(n); size > 0 {
		list := p.free[size]
		buf := list[len(list)-1][:n]
		p.free[size] = list[:len(list)-1]
		p.refs[unsafe.Pointer(unsafe.SliceData(buf))] = 0
		return buf, false
	}
	buf := make([]float32, n)
	p.made += n
	if n > 0 {
		p.refs[unsafe.Pointer(unsafe.SliceData(buf))] = 0
	}
	return buf, true
}

// handOver forgets the buffers still referenced (a run's outputs, now the
// caller's), keeping the free ones for the next run.
func (p *pool) handOver() {
	clear(p.refs)
}

// fit is the smallest free buffer size that holds n elements without
// wasting more than three quarters of it, or 0.
func (p *pool) fit(n int) int {
	best := 0
	for size, list := range p.free {
		if len(list) > 0 && size >= n && size <= 4*n && (best == 0 || size < best) {
			best = size
		}
	}
	return best
}

// retain counts a value that holds t's data.
func (p *pool) retain(t *ir.Tensor) {
	if ptr := dataPtr(t.Data); ptr != nil {
		if r, ok := p.refs[ptr]; ok {
			p.refs[ptr] = r + 1
		}
	}
}

// release drops one value's hold on t's data and recycles the buffer when
// it was the last.
func (p *pool) release(t *ir.Tensor) {
	if t == nil {
		return
	}
	ptr := dataPtr(t.Data)
	r, ok := p.refs[ptr]
	if !ok || ptr == nil {
		return
	}
	if r > 1 {
		p.refs[ptr] = r - 1
		return
	}
	buf := t.Data.([]float32)
	buf = buf[:cap(buf)]
	delete(p.refs, ptr)
	p.free[len(buf)] = append(p.free[len(buf)], buf)
}

// dataPtr is the address of a tensor's first element, or nil when empty.
func dataPtr(data any) unsafe.Pointer {
	v := reflect.ValueOf(data)
	if v.Kind() != reflect.Slice || v.Len() == 0 {
		return nil
	}
	return v.UnsafePointer()
}
