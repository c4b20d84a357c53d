package autograd

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/backend"
	"github.com/bincompress/bincompress/internal/kernels"
	"github.com/bincompress/bincompress/ir"
)

// Tensor is a float32 value in row-major order, on the host (Data) or on
// a device backend (an opaque buffer; Data is nil). Its gradient lives in
// a separate Grad so that an op's backward can hold the gradient sink
// without keeping the forward data alive.
type Tensor struct {
	Shape []int
	Data  []float32
	dev   backend.Buffer  // the storage on a device backend
	be    backend.Backend // dev's backend; nil on the host
	temp  bool            // an op's output, not a parameter, constant or input
	g     *Grad
	// moments, when set, are the sums of each [n][c] plane of the values,
	// taken by the op that wrote them (a recorded Conv) for a
	// BatchNormalization that reads them, so that BN needs no pass of its
	// own for its statistics.
	moments backend.Moments
}

// Grad accumulates the gradient of the loss with respect to one tensor. Its
// storage (Data on the host, dev on a device) is allocated on the first
// accumulation (none means no gradient reached it).
type Grad struct {
	Data []float32
	dev  backend.Buffer
	be   backend.Backend // nil on the host
	n    int
	keep bool     // a parameter's: outlives the tape, so never adopts a buffer
	bufs *Buffers // an op output's, on a tape with Buffers: Data may be shared
}

// New returns a constant tensor (no gradient flows into it) sharing data.
func New(shape []int, data []float32) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}
}

// Zeros returns a constant tensor of zeros.
func Zeros(shape ...int) *Tensor {
	return New(shape, make([]float32, ir.NumElements(shape)))
}

// Param returns a leaf tensor that gradients flow into (a trainable value).
func Param(shape []int, data []float32) *Tensor {
	t := New(shape, data)
	t.g = &Grad{n: len(data), keep: true}
	return t
}

// OnDevice returns a constant tensor stored in b on the device backend be.
func OnDevice(be backend.Backend, shape []int, b backend.Buffer) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), dev: b, be: be}
}

// DeviceParam is Param on a device backend.
func DeviceParam(be backend.Backend, shape []int, b backend.Buffer) *Tensor {
	t := OnDevice(be, shape, b)
	t.g = &Grad{n: b.Len(), keep: true, be: be}
	return t
}

// Alias returns a tensor with its own data whose gradient is src's gradient:
// the identity straight-through estimator, used for Ŵ = s·sign(W).
func Alias(src *Tensor, data []float32) *Tensor {
	t := New(src.Shape, data)
	t.g = src.g
	return t
}

// AliasOnDevice is Alias for a device tensor: Ŵ stored in b.
func AliasOnDevice(src *Tensor, b backend.Buffer) *Tensor {
	t := OnDevice(src.be, src.Shape, b)
	t.g = src.g
	return t
}

// Backend is the backend t lives on: the CPU for host tensors.
func (t *Tensor) Backend() backend.Backend {
	if t.be != nil {
		return t.be
	}
	return CPU{}
}

// Buffer is t's storage on its backend (backend.Host for host data).
func (t *Tensor) Buffer() backend.Buffer {
	if t.be != nil {
		return t.dev
	}
	return backend.Host(t.Data)
}

// SameStorage reports whether a and b share their values' storage (a view
// of the other, or an op's output written over it).
func SameStorage(a, b *Tensor) bool {
	ka, kb := keyOfTensor(a), keyOfTensor(b)
	return ka != nil && ka == kb
}

// OnDevice reports whether t lives on a device backend.
func (t *Tensor) OnDevice() bool { return t.be != nil }

// Download copies t's values into host memory (a copy of Data on the host).
func (t *Tensor) Download() []float32 {
	out := make([]float32, t.Len())
	t.Backend().Download(out, t.Buffer())
	return out
}

// GradBuffer is t's accumulated gradient on its backend, or nil.
func (t *Tensor) GradBuffer() backend.Buffer {
	if t.g == nil {
		return nil
	}
	return t.g.value()
}

// RequiresGrad reports whether gradients flow into t.
func (t *Tensor) RequiresGrad() bool { return t != nil && t.g != nil }

// Grad returns t's accumulated gradient, or nil when none reached it.
func (t *Tensor) Grad() []float32 {
	if t.g == nil {
		return nil
	}
	return t.g.Data
}

// ZeroGrad drops the accumulated gradient (the buffer is kept and cleared).
func (t *Tensor) ZeroGrad() {
	switch {
	case t.g == nil:
	case t.g.dev != nil:
		t.g.be.Fill(t.g.dev, 0)
	case t.g.Data != nil:
		clear(t.g.Data)
	}
}

// AllocGrad gives t its gradient storage now, zeroed, rather than at the
// first accumulation: a device trainer does so before the first step, so
// that every step asks its memory pool for the same buffers.
func (t *Tensor) AllocGrad() {
	if t.g != nil {
		t.g.accumulator()
	}
}

// FreeGrad drops t's gradient storage (a device's goes back to its
// memory); a later accumulation allocates anew.
func (t *Tensor) FreeGrad() {
	if t.g == nil {
		return
	}
	if t.g.dev != nil {
		t.g.be.Free(t.g.dev)
		t.g.dev = nil
	}
	t.g.Data = nil
}

// Len is the number of elements.
func (t *Tensor) Len() int {
	if t.be != nil {
		return t.dev.Len()
	}
	return len(t.Data)
}

// value is the gradient's storage, nil when none has arrived.
func (g *Grad) value() backend.Buffer {
	switch {
	case g == nil:
		return nil
	case g.be != nil:
		if g.dev == nil {
			return nil
		}
		return g.dev
	case g.Data == nil:
		return nil
	}
	return backend.Host(g.Data)
}

// drop frees the gradient's storage after its last use: back to bufs on
// the host, to the device backend's memory on a device.
func (g *Grad) drop() {
	if g.be != nil {
		if g.dev != nil {
			g.be.Free(g.dev)
			g.dev = nil
		}
		return
	}
	g.bufs.put(g.Data)
	g.Data = nil
}

func (t *Tensor) String() string { return fmt.Sprintf("tensor%v", t.Shape) }

// buf returns the gradient buffer to accumulate into, allocating it on
// first use.
func (g *Grad) buf() []float32 {
	if g.Data == nil && g.bufs != nil {
		g.Data = g.bufs.get(g.n)
		clear(g.Data)
	} else if g.Data == nil {
		g.Data = make([]float32, g.n)
	}
	g.own()
	return g.Data
}

// accumulator is buf on any backend: the gradient's storage, zeroed when
// nothing has arrived yet, to accumulate into.
func (g *Grad) accumulator() backend.Buffer {
	if g.be == nil {
		return backend.Host(g.buf())
	}
	if g.dev == nil {
		g.dev = g.be.Alloc(g.n)
		g.be.Fill(g.dev, 0)
	}
	return g.dev
}

// own gives g a buffer of its own before it is written in place: a buffer
// it shares (see share) is copied first.
func (g *Grad) own() {
	if g.bufs.shared(g.Data) {
		d := g.bufs.get(g.n)
		copy(d, g.Data)
		g.bufs.put(g.Data)
		g.Data = d
	}
}

// shared reports whether another gradient holds g's buffer too (never on
// a device, where gradients copy instead of sharing).
func (g *Grad) shared() bool { return g.be == nil && g.bufs.shared(g.Data) }

// share accumulates d, which another gradient holds too: as a shared,
// read-only buffer when none has arrived yet (saving a copy; whoever
// writes it first copies it, see own), else as an ordinary add.
func (g *Grad) share(d []float32) {
	if g == nil {
		return
	}
	if g.Data == nil && len(d) == g.n && g.bufs.share(d) {
		g.Data = d
		return
	}
	g.add(d)
}

// add accumulates d into the gradient (no-op for a nil Grad); the first
// gradient to arrive is copied.
func (g *Grad) add(d []float32) {
	if g == nil {
		return
	}
	if g.Data == nil {
		if g.bufs != nil {
			g.Data = g.bufs.get(g.n)
			copy(g.Data, d)
		} else {
			g.Data = append([]float32(nil), d...) // not zeroed first, unlike make
		}
		return
	}
	g.own()
	chunks(len(d), func(lo, hi int) { kernels.AddInto(g.Data[lo:hi], d[lo:hi]) })
}

// shareBuf is share on any backend: a device gradient takes a copy (device
// buffers are never shared between gradients).
func (g *Grad) shareBuf(d backend.Buffer) {
	if g == nil {
		return
	}
	if h, ok := d.(backend.Host); ok && g.be == nil {
		g.share(h)
		return
	}
	g.addBuf(d)
}

// addBuf is add on any backend.
func (g *Grad) addBuf(d backend.Buffer) {
	if g == nil {
		return
	}
	if g.be == nil {
		g.add(d.(backend.Host))
		return
	}
	if g.dev == nil {
		g.dev = g.be.Alloc(g.n)
		g.be.Copy(g.dev, d)
		return
	}
	g.be.AddInto(g.dev, d)
}

// takeBuf is take on any backend: on a device, when g does not adopt d, d
// is added and then freed (the caller has given it up).
func (g *Grad) takeBuf(be backend.Backend, bufs *Buffers, d backend.Buffer) {
	if h, ok := d.(backend.Host); ok {
		if !g.take(h) {
			bufs.put(h)
		}
		return
	}
	if g != nil && g.dev == nil && d.Len() == g.n && !g.keep {
		g.dev = d
		return
	}
	g.addBuf(d)
	be.Free(d)
}

// take accumulates d, a buffer nobody else will read or write any more,
// adopting it as the gradient when none has arrived yet (saving a copy);
// it reports whether it did. A parameter's gradient, which outlives the
// tape and its Buffers, copies instead.
func (g *Grad) take(d []float32) bool {
	if g == nil {
		return false
	}
	if g.Data == nil && len(d) == g.n && !g.keep {
		g.bufs.noteAdopted(d)
		g.Data = d
		return true
	}
	g.add(d)
	return false
}

// scratch returns a buffer of n elements to compute a gradient in before
// take: the Buffers' parameter scratch for a parameter's gradient (which
// take copies), else a buffer from bufs that take may adopt (the caller
// gives it back when take does not).
func (g *Grad) scratch(n int, bufs *Buffers) []float32 {
	if g.keep {
		return bufs.paramScratch(n)
	}
	return bufs.get(n)
}

// takeFrom takes src's gradient (an op's output gradient, dead after the
// op's backward); when g adopts the buffer, src lets go of it.
func (g *Grad) takeFrom(src *Grad) {
	if src.be != nil {
		if g != nil && g.dev == nil && !g.keep && src.dev != nil && src.dev.Len() == g.n {
			g.dev, src.dev = src.dev, nil
			return
		}
		g.addBuf(src.dev)
		return
	}
	if g.take(src.Data) {
		src.Data = nil
	}
}

// result makes an op's output tensor on the host; it carries a gradient
// when any input does.
func result(shape []int, data []float32, ins ...*Tensor) *Tensor {
	t := &Tensor{Shape: shape, Data: data, temp: true}
	for _, in := range ins {
		if in.RequiresGrad() {
			t.g = &Grad{n: len(data)}
			break
		}
	}
	return t
}

// resultOn makes an op's output tensor stored in b on be (the host when b
// is backend.Host).
func resultOn(be backend.Backend, shape []int, b backend.Buffer, ins ...*Tensor) *Tensor {
	if h, ok := b.(backend.Host); ok {
		return result(shape, h, ins...)
	}
	t := &Tensor{Shape: shape, dev: b, be: be, temp: true}
	for _, in := range ins {
		if in.RequiresGrad() {
			t.g = &Grad{n: b.Len(), be: be}
			break
		}
	}
	return t
}

// backendOf is the backend an op on ins runs on; every input must be there.
func backendOf(ins ...*Tensor) (backend.Backend, error) {
	var be backend.Backend
	seen := false
	for _, t := range ins {
		if t == nil {
			continue
		}
		if seen && t.be != be {
			return nil, fmt.Errorf("autograd: an op mixes tensors on %s and on %s", t.Backend().Name(), (&Tensor{be: be}).Backend().Name())
		}
		be, seen = t.be, true
	}
	if be == nil {
		return CPU{}, nil
	}
	return be, nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
