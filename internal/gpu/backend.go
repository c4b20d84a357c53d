package gpu

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/internal/backend"
)

// Backend is the device's implementation of backend.Backend: every op
// launches kernels of package cuda on the device's stream (or cuBLAS), on
// buffers that stay in device memory. Ops do not return errors: the first
// failure (an allocation that does not fit, a failed launch) is kept, later
// ops are skipped, and Err reports it, as a CUDA stream's errors surface at
// the next synchronization. It is not safe for concurrent use.
type Backend struct {
	d   *Device
	err error
}

var (
	_ backend.Backend        = (*Backend)(nil)
	_ backend.MemoryReporter = (*Backend)(nil)
)

// Backend returns the device's trainer backend.
func (d *Device) Backend() *Backend { return &Backend{d: d} }

// Device is the device the backend runs on.
func (b *Backend) Device() *Device { return b.d }

// Array is a float32 tensor in device memory: the backend's Buffer.
type Array struct {
	buf Buffer
	n   int
}

// Len is the number of elements.
func (a *Array) Len() int { return a.n }

// Name says which device runs the ops.
func (b *Backend) Name() string { return "cuda (" + b.d.Name + ")" }

// Err returns the first failure since the last call and clears it.
func (b *Backend) Err() error {
	err := b.err
	b.err = nil
	return err
}

func (b *Backend) fail(err error) {
	if b.err == nil && err != nil {
		b.err = err
	}
}

func (b *Backend) ok() bool { return b.err == nil }

// arr is the device storage of a buffer (a zero Buffer for nil).
func arr(x backend.Buffer) Buffer {
	if x == nil {
		return Buffer{}
	}
	return x.(*Array).buf
}

// at is the buffer from element off on.
func at(x Buffer, off int) Buffer {
	if x.Ptr == 0 {
		return x
	}
	return Buffer{Ptr: x.Ptr + 4*uint64(off), Size: x.Size - 4*uint64(off)}
}

// Alloc returns n elements of device memory from the pool.
func (b *Backend) Alloc(n int) backend.Buffer {
	a := &Array{n: n}
	if n > 0 && b.ok() {
		buf, err := b.d.Alloc(4 * uint64(n))
		b.fail(err)
		a.buf = buf
	}
	return a
}

// Free returns a buffer to the pool.
func (b *Backend) Free(x backend.Buffer) {
	if a, ok := x.(*Array); ok && a.buf.Ptr != 0 {
		b.fail(b.d.Free(a.buf))
		a.buf = Buffer{}
	}
}

func (b *Backend) Upload(dst backend.Buffer, src []float32) {
	if b.ok() {
		b.fail(b.d.Upload(arr(dst), src))
	}
}

func (b *Backend) Download(dst []float32, src backend.Buffer) {
	if b.ok() {
		b.fail(b.d.Download(dst, arr(src)))
	}
}

func (b *Backend) Copy(dst, src backend.Buffer) {
	if b.ok() && src.Len() > 0 {
		b.fail(b.d.CopyDev(arr(dst), arr(src), 4*uint64(src.Len())))
	}
}

func (b *Backend) Fill(dst backend.Buffer, v float32) {
	b.run("fill", dst.Len(), arr(dst), v, i64(dst.Len()))
}

// run launches one grid-stride kernel over n items, unless an op failed.
func (b *Backend) run(name string, n int, args ...any) {
	if n > 0 && b.ok() {
		b.fail(b.d.run(name, n, args...))
	}
}

// one launches a kernel on a single thread (a sum taken in order).
func (b *Backend) one(name string, args ...any) {
	if b.ok() {
		b.fail(b.d.runOne(name, args...))
	}
}

// scratch is device memory for an op's intermediate values.
func (b *Backend) scratch(bytes uint64) Buffer {
	if !b.ok() || bytes == 0 {
		return Buffer{}
	}
	buf, err := b.d.Alloc(bytes)
	b.fail(err)
	return buf
}

func (b *Backend) drop(bufs ...Buffer) {
	for _, x := range bufs {
		if x.Ptr != 0 {
			b.fail(b.d.Free(x))
		}
	}
}

func i64(n int) int64 { return int64(n) }
func i32(n int) int32 { return int32(n) }

func flag(v bool) int32 {
	if v {
		return 1
	}
	return 0
}

// ---- element-wise ops (cuda/elementwise.cu)

func (b *Backend) AddInto(acc, x backend.Buffer) {
	b.run("accumulate", x.Len(), arr(acc), arr(x), i64(x.Len()))
}

func (b *Backend) Combine(dst, x, y backend.Buffer, p, q, c float32) {
	b.run("combine", dst.Len(), arr(dst), arr(x), arr(y), p, q, c, i64(dst.Len()))
}

// bshape is the broadcast geometry as the kernels take it (struct bshape).
type bshape struct{ s, sa, sb [6]int64 }

func broadcastArg(g backend.Broadcast) (*bshape, error) {
	r := len(g.Shape)
	if r > 6 {
		return nil, fmt.Errorf("gpu: broadcasting over %d dimensions (at most 6)", r)
	}
	a := &bshape{}
	for d := range 6 {
		a.s[d] = 1
	}
	for d := range r {
		a.s[6-r+d], a.sa[6-r+d], a.sb[6-r+d] = int64(g.Shape[d]), int64(g.Strides[0][d]), int64(g.Strides[1][d])
	}
	return a, nil
}

func (b *Backend) broadcast(mul bool, y, x, z backend.Buffer, g backend.Broadcast) {
	a, err := broadcastArg(g)
	b.fail(err)
	b.run("broadcast_fwd", y.Len(), arr(y), arr(x), arr(z), a, flag(mul), i64(y.Len()))
}

func (b *Backend) BroadcastAdd(y, x, z backend.Buffer, g backend.Broadcast) {
	b.broadcast(false, y, x, z, g)
}
func (b *Backend) BroadcastMul(y, x, z backend.Buffer, g backend.Broadcast) {
	b.broadcast(true, y, x, z, g)
}

func (b *Backend) BroadcastGrad(mul bool, da, db, dy, x, z backend.Buffer, g backend.Broadcast) {
	a, err := broadcastArg(g)
	b.fail(err)
	for which, d := range []backend.Buffer{da, db} {
		if d != nil {
			b.run("broadcast_grad", d.Len(), arr(d), arr(dy), arr(x), arr(z), a, flag(mul), int32(which), i64(d.Len()))
		}
	}
}

func (b *Backend) Relu(y, x backend.Buffer) { b.run("relu_fwd", x.Len(), arr(x), arr(y), i64(x.Len())) }

// Mask is an exact bit per element on the device.
type Mask struct {
	words Buffer
	n     int
}

// Bytes is the device memory the mask holds.
func (m *Mask) Bytes() int64 { return 8 * int64((m.n+63)/64) }

func (b *Backend) newMask(n int) *Mask { return &Mask{words: b.scratch(8 * uint64((n+63)/64)), n: n} }

func (b *Backend) ReluMask(y, x backend.Buffer) backend.Saved {
	m := b.newMask(x.Len())
	b.run("relu_mask", (x.Len()+63)/64, arr(x), arr(y), m.words, i64(x.Len()))
	return m
}

func (b *Backend) Mask(ref backend.Buffer, lo, hi float32) backend.Saved {
	m := b.newMask(ref.Len())
	b.run("mask_in_range", (ref.Len()+63)/64, arr(ref), m.words, lo, hi, i64(ref.Len()))
	return m
}

func (b *Backend) ZeroOutside(dy, ref backend.Buffer, lo, hi float32) {
	b.run("zero_outside", dy.Len(), arr(dy), arr(ref), lo, hi, i64(dy.Len()))
}

func (b *Backend) ZeroUnmasked(dy backend.Buffer, mask backend.Saved) {
	b.run("zero_unmasked", dy.Len(), mask.(*Mask).words, arr(dy), i64(dy.Len()))
}

func (b *Backend) Clip(y, x backend.Buffer, lo, hi float32) {
	b.run("clip", x.Len(), arr(x), arr(y), lo, hi, i64(x.Len()))
}

func (b *Backend) SGD(w, g, mom backend.Buffer, lr, wd, mu float32, nesterov bool) {
	b.run("sgd_update", w.Len(), arr(w), arr(g), arr(mom), i64(w.Len()), lr, wd, mu, flag(nesterov))
}

// Binarize computes the scales with the formulas of internal/bits
// (RowScales), each sum in double in the CPU's order, then ŵ = s·sign(w).
func (b *Backend) Binarize(hat, w backend.Buffer, out, fanIn int, cols bool, mode string) {
	scale := b.scratch(4 * uint64(out))
	defer b.drop(scale)
	switch mode {
	case "he":
		b.run("fill", out, scale, float32(math.Sqrt(2/float64(fanIn))), i64(out))
	case "layer":
		b.one("scale_layer", arr(w), scale, i32(out), i64(w.Len()))
	default:
		b.run("scale_rows", out, arr(w), scale, i32(out), i64(fanIn), flag(cols))
	}
	b.run("sign_scale", out*fanIn, arr(w), arr(hat), scale, i32(out), i64(fanIn), flag(cols))
}

// Release gives back the device memory a saved object holds.
func (b *Backend) Release(s backend.Saved) {
	switch v := s.(type) {
	case *Mask:
		b.drop(v.words)
	case *Indices:
		b.drop(v.arg)
	case *Codes:
		b.drop(v.words, v.lo, v.hi)
	case *ReluCode:
		b.drop(v.words, v.lo, v.hi, v.t)
	case reluInput:
		b.Release(v.q)
	}
}

// Memory reports the pool's account and the device's free memory.
func (b *Backend) Memory() backend.Memory {
	st := b.d.PoolStats()
	free, _, err := b.d.MemInfo()
	b.fail(err)
	return backend.Memory{InUse: st.InUse, Reserved: st.Reserved, PeakReserved: st.Peak, Capacity: free + st.Reserved}
}

func (b *Backend) ResetPeak()    { b.d.ResetPeak() }
func (b *Backend) ReleaseCache() { b.d.ReleaseCache() }
