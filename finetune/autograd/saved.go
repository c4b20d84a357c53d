package autograd

import (
	"math"

	"github.com/bincompress/bincompress/internal/backend"
	"github.com/bincompress/bincompress/internal/kernels"
)

// Saved is one buffer an op keeps for its backward pass.
type Saved interface {
	// Bytes is the memory the buffer occupies.
	Bytes() int64
	// Param reports whether it is a weight rather than an activation.
	Param() bool
	// key identifies the underlying storage, so that a buffer shared by two
	// ops is counted once.
	key() any
}

// savedSize is how a saved buffer's size follows the batch, without the
// buffer: at is its bytes for the same op on a batch of batch samples, the
// buffer having been saved on a batch of from. The plan of memory replays
// a small traced batch at any size with it.
type savedSize interface {
	at(from, batch int) int64
}

// sizer is a Saved whose size does not simply follow the batch.
type sizer interface {
	size() savedSize
}

// sizeOf is s's savedSize: a sizer says; else a weight's stays and
// anything else is in proportion to the batch (its first dimension).
func sizeOf(s Saved) savedSize {
	if v, ok := s.(sizer); ok {
		return v.size()
	}
	if s.Param() {
		return fixedSize(s.Bytes())
	}
	return propSize(s.Bytes())
}

// savedBytesAt is s's size at batch, saved at from.
func savedBytesAt(s Saved, from, batch int) int64 { return sizeOf(s).at(from, batch) }

// fixedSize keeps its bytes at any batch; propSize follows the batch.
type (
	fixedSize int64
	propSize  int64
)

func (f fixedSize) at(_, _ int) int64       { return int64(f) }
func (p propSize) at(from, batch int) int64 { return int64(p) / int64(from) * int64(batch) }

// floatRef is a float32 buffer kept by reference (exact backward): host
// values in d, or a buffer on any backend in b. A weight (param) or a
// per-channel statistic (fixed) keeps its size at any batch; anything else
// has the batch as its first dimension.
type floatRef struct {
	d            []float32
	b            backend.Buffer
	param, fixed bool
}

// ref keeps t's values by reference.
func ref(t *Tensor) floatRef { return floatRef{b: t.Buffer()} }

// buf is the referenced values on their backend.
func (f floatRef) buf() backend.Buffer {
	if f.b != nil {
		return f.b
	}
	return backend.Host(f.d)
}

func (f floatRef) Bytes() int64 { return 4 * int64(f.buf().Len()) }
func (f floatRef) Param() bool  { return f.param }
func (f floatRef) size() savedSize {
	if f.param || f.fixed {
		return fixedSize(f.Bytes())
	}
	return propSize(f.Bytes())
}
func (f floatRef) key() any {
	if h, ok := f.buf().(backend.Host); ok {
		return storageKey(h, nil)
	}
	return storageKey(nil, f.b)
}

// devSaved is a device backend's saved object as a Saved.
type devSaved struct {
	s  backend.Saved
	be backend.Backend
}

func (d devSaved) Bytes() int64 { return d.s.Bytes() }
func (d devSaved) Param() bool  { return false }

// key is the storage's identity: a device object that views another's
// storage (a fused code seen as a layer's input) names it with Key.
func (d devSaved) key() any {
	if k, ok := d.s.(interface{ Key() any }); ok {
		return k.Key()
	}
	return d.s
}

// asSaved is a backend's saved object as a Saved: the CPU's are Saved
// already, a device's are wrapped.
func asSaved(be backend.Backend, s backend.Saved) Saved {
	if v, ok := s.(Saved); ok {
		return v
	}
	return devSaved{s: s, be: be}
}

// bitMask is an exact one-bit-per-element mask, packed 64 to a word.
type bitMask struct {
	w []uint64
	n int
}

func newBitMask(n int) *bitMask { return &bitMask{w: make([]uint64, (n+63)/64), n: n} }

func (m *bitMask) Bytes() int64    { return 8 * int64(len(m.w)) }
func (m *bitMask) size() savedSize { return maskSize(m.n) }

// maskSize is a bit mask of so many elements: whole words.
type maskSize int

func (m maskSize) at(from, batch int) int64 { return 8 * int64((int(m)/from*batch+63)/64) }

// Words are the mask's bits, 64 to a word.
func (m *bitMask) Words() []uint64 { return m.w }
func (m *bitMask) Param() bool     { return false }
func (m *bitMask) key() any        { return m }

// byteBuf is a small-integer buffer (pooling window offsets).
type byteBuf struct{ b []uint8 }

func (b *byteBuf) Bytes() int64 { return int64(len(b.b)) }
func (b *byteBuf) Param() bool  { return false }
func (b *byteBuf) key() any     { return b }

// int32Buf is an index buffer (exact pooling argmax).
type int32Buf struct{ v []int32 }

func (b *int32Buf) Bytes() int64 { return 4 * int64(len(b.v)) }
func (b *int32Buf) Param() bool  { return false }
func (b *int32Buf) key() any     { return b }

// Codes holds an NCHW tensor in k bits per element with a per-channel range
// [Lo, Hi], each value stochastically rounded so that the decoded value is
// an unbiased estimate of the original wherever it lies in the range:
//
//	q = floor((x−Lo)/(Hi−Lo)·L + U),  U ~ Uniform[0,1),  L = 2^k − 1,
//	x̃ = Lo + q·(Hi−Lo)/L,             E[x̃] = x.
//
// With k = 1 and Lo = 0 this is the paper's A_q = 1[A/c + U > 1], c = Hi.
// Each channel's codes are contiguous and word-aligned, so channels encode
// in parallel without sharing a word.
type Codes struct {
	bits, n, c, inner int // inner = spatial size; per channel n·inner values
	Lo, Hi            []float32
	words             []uint64
	perChan           int // words per channel
}

func (q *Codes) Bytes() int64    { return 8*int64(len(q.words)) + 8*int64(len(q.Lo)) }
func (q *Codes) size() savedSize { return q.sizeWith(8) }

// sizeWith is the codes' savedSize with perChan bytes of ranges per channel.
func (q *Codes) sizeWith(perChan int64) savedSize {
	return codesSize{n: q.n, c: q.c, inner: q.inner, bits: q.bits, perChan: perChan}
}

// codesSize is codes of bits per element over [n, c, inner], each
// channel's words whole, and perChan bytes of ranges per channel.
type codesSize struct {
	n, c, inner, bits int
	perChan           int64
}

func (s codesSize) at(from, batch int) int64 {
	words := (s.n/from*batch*s.inner*s.bits + 63) / 64
	return 8*int64(s.c)*int64(words) + s.perChan*int64(s.c)
}

// Words are the packed codes, channel after channel (for checks against
// another backend's).
func (q *Codes) Words() []uint64 { return q.words }
func (q *Codes) Param() bool     { return false }
func (q *Codes) key() any        { return q }

// Encode stores x [N, C, inner...] (dims from shape) in bits per element with
// per-channel min/max ranges, drawing U from the counter-based stream
// (key, stream, channel).
func Encode(x *Tensor, bits int, key, stream uint64) *Codes {
	n, c, inner := nci(x.Shape)
	return CPU{}.EncodeInput(backend.Host(x.Data), n, c, inner, bits, key, stream).(*Codes)
}

func (CPU) EncodeInput(xb backend.Buffer, n, c, inner, bits int, key, stream uint64) backend.Saved {
	x, q := host(xb), newCodes(n, c, inner, bits)
	parallelFor(c, func(ch int) { q.encodeChannel(x, ch, newStream(key, stream, uint64(ch))) })
	return q
}

func (CPU) DecodeInput(q backend.Saved, dst backend.Buffer) { q.(inputCode).Decode(host(dst)) }

// newCodes returns empty codes of bits per element for an [n, c, inner]
// tensor, for encodeChannel to fill.
func newCodes(n, c, inner, bits int) *Codes {
	per := (n*inner*bits + 63) / 64
	return &Codes{bits: bits, n: n, c: c, inner: inner, Lo: make([]float32, c), Hi: make([]float32, c),
		words: make([]uint64, per*c), perChan: per}
}

func (q *Codes) encodeChannel(x []float32, ch int, r *stream) {
	lo, hi := channelRange(x, q.n, q.c, q.inner, ch)
	q.encodeRows(ch, lo, hi, func(b int) []float32 { return x[(b*q.c+ch)*q.inner : (b*q.c+ch+1)*q.inner] }, r)
}

// encodeNormalized is encodeChannel of x̂ = a·x + b (the product rounded
// before the sum, as kernels.ScaleAddRows writes it) without writing x̂
// out: each row of x̂ is made in a row of scratch just before it is
// encoded. Its range is x's mapped through the affine, which for a finite
// a > 0 and finite b is exactly the least and greatest x̂ (the map keeps
// order); otherwise a first pass over the rows of x̂ finds it.
func (q *Codes) encodeNormalized(x []float32, ch int, a, b float32, r *stream) {
	row := make([]float32, q.inner)
	rowAt := func(n int) []float32 {
		kernels.ScaleAddRows(row, x[(n*q.c+ch)*q.inner:], 1, q.inner, 0, a, b, false)
		return row
	}
	lo, hi := kernels.MinMax(x[ch*q.inner:], q.n, q.inner, q.c*q.inner)
	finite := func(v float32) bool { return !math.IsInf(float64(v), 0) && !math.IsNaN(float64(v)) }
	switch {
	case lo > hi: // nothing but NaN
		lo, hi = 0, 0
	case a > 0 && finite(a) && finite(b):
		lo, hi = float32(a*lo)+b, float32(a*hi)+b
	default:
		lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
		for n := range q.n {
			l, h := kernels.MinMax(rowAt(n), 1, q.inner, 0)
			lo, hi = min(lo, l), max(hi, h)
		}
		if lo > hi {
			lo, hi = 0, 0
		}
	}
	q.encodeRows(ch, lo, hi, rowAt, r)
}

// encodeRows encodes channel ch, row n of it from rowAt(n), on [lo, hi].
func (q *Codes) encodeRows(ch int, lo, hi float32, rowAt func(n int) []float32, r *stream) {
	q.Lo[ch], q.Hi[ch] = lo, hi
	levels := int(1)<<q.bits - 1
	inv := float32(0)
	if hi > lo {
		inv = float32(levels) / (hi - lo)
	}
	if q.bits <= 2 { // binary layers' inputs and BN's default width: vectorized
		encode := kernels.StochasticBits
		if q.bits == 2 {
			encode = kernels.StochasticCodes2
		}
		for b := 0; b < q.n; b++ {
			encode(q.channelWords(ch), b*q.inner, rowAt(b), lo, inv, r.x)
		}
		return
	}
	w := wordWriter{words: q.words[ch*q.perChan : (ch+1)*q.perChan], bits: uint(q.bits)}
	for b := 0; b < q.n; b++ {
		for _, v := range rowAt(b) {
			w.put(kernels.Level(float32((v-lo)*inv)+r.uniform(), levels)) // as the 1- and 2-bit kernels
		}
	}
	w.flush()
}

// wordWriter packs fixed-width codes into words, least significant first.
type wordWriter struct {
	words []uint64
	bits  uint
	acc   uint64
	shift uint
	i     int
}

func (w *wordWriter) put(code uint64) {
	w.acc |= code << w.shift
	w.shift += w.bits
	if w.shift == 64 {
		w.words[w.i] = w.acc
		w.i++
		w.acc, w.shift = 0, 0
	}
}

func (w *wordWriter) flush() {
	if w.shift > 0 {
		w.words[w.i] = w.acc
	}
}

// Decode writes the decoded values into dst (same layout as the encoded tensor).
func (q *Codes) Decode(dst []float32) { q.decodeWith(dst, q.channelTable) }

// channelTable maps channel ch's codes to their values.
func (q *Codes) channelTable(ch int) kernels.CodeTable {
	lo := q.Lo[ch]
	step := (q.Hi[ch] - lo) / float32(int(1)<<q.bits-1)
	var tab kernels.CodeTable
	for code := range 1 << q.bits {
		tab[code] = lo + float32(code)*step
	}
	return tab
}

// imageDecoder returns a function that writes image n [C][inner] of the
// codes to dst (what Decode writes there), for a conv's filter gradient to
// take one image at a time.
func (q *Codes) imageDecoder() func(n int, dst []float32) { return q.imageDecoderWith(q.channelTable) }

// decodeWith writes every value, channel ch's through table(ch).
func (q *Codes) decodeWith(dst []float32, table func(ch int) kernels.CodeTable) {
	parallelFor(q.c, func(ch int) { q.decodeChannel(dst, ch, table(ch)) })
}

// decodeChannel writes channel ch's values through tab.
func (q *Codes) decodeChannel(dst []float32, ch int, tab kernels.CodeTable) {
	q.eachRow(ch, func(start, pos int) {
		kernels.LookupCodes(dst[start:start+q.inner], nil, q.channelWords(ch), pos, q.bits, &tab)
	})
}

// decodeChannelCompact writes channel ch's values through tab into dst
// [N][inner] (the channel alone, rows back to back).
func (q *Codes) decodeChannelCompact(dst []float32, ch int, tab kernels.CodeTable) {
	for b := range q.n {
		kernels.LookupCodes(dst[b*q.inner:(b+1)*q.inner], nil, q.channelWords(ch), b*q.inner*q.bits, q.bits, &tab)
	}
}

// imageDecoderWith is imageDecoder with channel ch's values from table(ch),
// each table made once.
func (q *Codes) imageDecoderWith(table func(ch int) kernels.CodeTable) func(n int, dst []float32) {
	tabs := make([]kernels.CodeTable, q.c)
	for ch := range tabs {
		tabs[ch] = table(ch)
	}
	return func(n int, dst []float32) {
		for ch := range q.c {
			kernels.LookupCodes(dst[ch*q.inner:(ch+1)*q.inner], nil, q.channelWords(ch), n*q.inner*q.bits, q.bits, &tabs[ch])
		}
	}
}

// channelWords is channel ch's codes.
func (q *Codes) channelWords(ch int) []uint64 { return q.words[ch*q.perChan : (ch+1)*q.perChan] }

// eachRow calls f for each batch row of channel ch with the row's offset
// in the tensor and the bit position of its first code.
func (q *Codes) eachRow(ch int, f func(start, pos int)) {
	for b := 0; b < q.n; b++ {
		f((b*q.c+ch)*q.inner, b*q.inner*q.bits)
	}
}

// channelRange is the min and max of channel ch (NaN skipped; 0, 0 when
// there is nothing else).
func channelRange(x []float32, n, c, inner, ch int) (lo, hi float32) {
	lo, hi = kernels.MinMax(x[ch*inner:], n, inner, c*inner)
	if lo > hi {
		return 0, 0
	}
	return lo, hi
}

// nci splits a shape into batch, channels and the product of the rest; a
// rank-2 tensor [N, F] counts its features as channels.
func nci(shape []int) (n, c, inner int) {
	n, c, inner = 1, 1, 1
	if len(shape) > 0 {
		n = shape[0]
	}
	if len(shape) > 1 {
		c = shape[1]
	}
	for _, d := range shape[min(2, len(shape)):] {
		inner *= d
	}
	return n, c, inner
}
