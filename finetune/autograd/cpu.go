package autograd

import (
	"github.com/bincompress/bincompress/internal/backend"
	"github.com/bincompress/bincompress/internal/bits"
	"github.com/bincompress/bincompress/internal/kernels"
)

// CPU is the host backend: each op's arithmetic on host memory with the
// kernels of internal/kernels, split across goroutines by channel or
// element range. Its op methods live beside the ops that call them (conv.go
// has Conv's); this file has the memory and element-wise ones.
type CPU struct{}

var _ backend.Backend = CPU{}

// onHost marks the CPU backend (and backends that embed it, as tests do):
// its buffers are host memory that autograd may recycle.
func (CPU) onHost() {}

// IsHost reports whether be computes on host memory (tensors on it are
// host tensors).
func IsHost(be backend.Backend) bool {
	_, ok := be.(interface{ onHost() })
	return ok
}

func host(b backend.Buffer) []float32 {
	if b == nil {
		return nil
	}
	return b.(backend.Host)
}

func (CPU) Name() string { return "cpu" }
func (CPU) Err() error   { return nil }

func (CPU) Alloc(n int) backend.Buffer                 { return backend.Host(make([]float32, n)) }
func (CPU) Free(backend.Buffer)                        {}
func (CPU) Release(backend.Saved)                      {}
func (CPU) Upload(dst backend.Buffer, src []float32)   { copy(host(dst), src) }
func (CPU) Download(dst []float32, src backend.Buffer) { copy(dst, host(src)) }
func (CPU) Copy(dst, src backend.Buffer)               { copy(host(dst), host(src)) }

func (CPU) Fill(dst backend.Buffer, v float32) {
	d := host(dst)
	if v == 0 {
		clear(d)
		return
	}
	for i := range d {
		d[i] = v
	}
}

func (CPU) AddInto(acc, x backend.Buffer) {
	a, d := host(acc), host(x)
	chunks(len(d), func(lo, hi int) { kernels.AddInto(a[lo:hi], d[lo:hi]) })
}

func (CPU) Combine(dst, x, y backend.Buffer, a, b, c float32) {
	d, g, v := host(dst), host(x), host(y)
	chunks(len(d), func(lo, hi int) { kernels.Combine(d[lo:hi], g[lo:hi], v[lo:hi], a, b, c) })
}

// newBuf is a fresh buffer of n elements on be (zeroed on the host).
func newBuf(be backend.Backend, n int) backend.Buffer { return be.Alloc(n) }

// scratch is a buffer of n elements for a backward pass: from bufs on the
// host (uninitialized), from be's memory on a device.
func scratch(be backend.Backend, bufs *Buffers, n int) backend.Buffer {
	if IsHost(be) {
		return backend.Host(bufs.get(n))
	}
	return be.Alloc(n)
}

// gradScratch is a buffer of n elements to compute a gradient for g in
// before g.takeBuf: on the host, the Buffers' one parameter-sized scratch
// when g is a parameter's (takeBuf copies it), else a new buffer g may
// adopt (see Grad.scratch); from be's memory on a device.
func gradScratch(be backend.Backend, g *Grad, bufs *Buffers, n int) backend.Buffer {
	if IsHost(be) {
		return backend.Host(g.scratch(n, bufs))
	}
	return be.Alloc(n)
}

// unscratch gives a scratch buffer back.
func unscratch(be backend.Backend, bufs *Buffers, b backend.Buffer) {
	if h, ok := b.(backend.Host); ok {
		bufs.put(h)
		return
	}
	be.Free(b)
}

// SGD is PyTorch's SGD with momentum (dampening 0):
//
//	d = g + wd·w;  b = μ·b + d;  d = d + μ·b (Nesterov) or b;  w = w − lr·d
func (CPU) SGD(wb, gb, momb backend.Buffer, lr, wd, mu float32, nesterov bool) {
	w, g, b := host(wb), host(gb), host(momb)
	for j := range w {
		d := g[j] + wd*w[j]
		b[j] = mu*b[j] + d
		if nesterov {
			d += mu * b[j]
		} else {
			d = b[j]
		}
		w[j] -= lr * d
	}
}

// Binarize writes ŵ = s·sign(w), sign(0) = +1, with internal/bits' scales.
func (CPU) Binarize(hatb, wb backend.Buffer, out, fanIn int, cols bool, mode string) {
	hat, w := host(hatb), host(wb)
	at := func(o, j int) int {
		if cols {
			return j*out + o
		}
		return o*fanIn + j
	}
	s := bits.RowScales(w, out, fanIn, at, mode)
	for o := range out {
		for j := range fanIn {
			i := at(o, j)
			if w[i] < 0 {
				hat[i] = -s[o]
			} else {
				hat[i] = s[o]
			}
		}
	}
}
