package gpu

import (
	"fmt"
	"math"
)

// The counter-based generator of the stochastic codes. It is the same
// generator the CPU trainer uses (finetune/autograd/rng.go; a test holds
// the two together), written so that any element's draw is a pure function
// of (key, stream, channel, index): a GPU thread computes its own draws
// without a sequential state.
//
//	start = mix(mix(key ^ φ) ^ mix(((stream << 20) ^ ch) + 0x632be59bd9b4e019))
//	z_j   = mix(start + (j+1)·φ)                      (j = i/2, φ = 0x9e3779b97f4a7c15)
//	U_i   = (z_j >> 40) / 2^24 for even i, (z_j & (2^24−1)) / 2^24 for odd i
//
// mix is splitmix64's finalizer. Each U is a multiple of 2^−24 in [0, 1),
// exact in float32.

const (
	golden   = 0x9e3779b97f4a7c15
	chanSalt = 0x632be59bd9b4e019
)

// mix64 is splitmix64's finalizer.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// StreamStart is the generator state of channel ch of stream s under key.
func StreamStart(key, s, ch uint64) uint64 {
	return mix64(mix64(key^golden) ^ mix64((s<<20^ch)+chanSalt))
}

// Uniform is draw i of the stream that starts at start: U ~ Uniform[0,1)
// with 24 random bits.
func Uniform(start uint64, i int) float32 {
	z := mix64(start + uint64(i/2+1)*golden)
	if i%2 == 0 {
		return float32(z>>40) / (1 << 24)
	}
	return float32(z&(1<<24-1)) / (1 << 24)
}

// Codes holds a tensor [N, C, inner...] in Bits bits per element with a
// per-channel range [Lo, Hi], each value stochastically rounded so that the
// decoded value is an unbiased estimate of the original:
//
//	q = min(floor((x−Lo)·L/(Hi−Lo) + U), L),  L = 2^Bits − 1,
//	x̃ = Lo + q·(Hi−Lo)/L.
//
// With Bits = 1 and Lo = 0 this is the paper's A_q = 1[A/c + U > 1]. Lo and
// Hi are the channel's minimum and maximum in the batch, so no value
// saturates. Channel ch's codes are the words [ch·W, (ch+1)·W), W =
// WordsPerChannel(): element (b, i) of the channel is code b·inner+i, codes
// packed least significant first. U for that code is Uniform(StreamStart(key,
// stream, ch), b·inner+i). This is autograd's layout and the GPU's.
type Codes struct {
	Bits, N, C, Inner int
	Lo, Hi            []float32
	Words             []uint64
}

// NewCodes allocates codes for an [n, c, inner] tensor; bits must be 1, 2, 4
// or 8 (a code never straddles two words).
func NewCodes(bits, n, c, inner int) (*Codes, error) {
	if bits != 1 && bits != 2 && bits != 4 && bits != 8 {
		return nil, fmt.Errorf("gpu: codes of %d bits: want 1, 2, 4 or 8", bits)
	}
	if n < 0 || c < 0 || inner < 0 {
		return nil, fmt.Errorf("gpu: codes of shape [%d, %d, %d]", n, c, inner)
	}
	q := &Codes{Bits: bits, N: n, C: c, Inner: inner, Lo: make([]float32, c), Hi: make([]float32, c)}
	q.Words = make([]uint64, c*q.WordsPerChannel())
	return q, nil
}

// WordsPerChannel is the number of 64-bit words a channel's codes take.
func (q *Codes) WordsPerChannel() int { return (q.N*q.Inner*q.Bits + 63) / 64 }

// Bytes is the memory the codes hold (words and ranges).
func (q *Codes) Bytes() int64 { return 8*int64(len(q.Words)) + 8*int64(q.C) }

// Len is the number of values encoded.
func (q *Codes) Len() int { return q.N * q.C * q.Inner }

// EncodeCodes fills q from x (length q.Len()) on the CPU: the reference for
// the GPU kernel.
func EncodeCodes(q *Codes, x []float32, key, stream uint64) {
	for ch := range q.C {
		encodeChannel(q, x, ch, StreamStart(key, stream, uint64(ch)))
	}
}

func encodeChannel(q *Codes, x []float32, ch int, start uint64) {
	lo, hi := channelRange(x, q.N, q.C, q.Inner, ch)
	q.Lo[ch], q.Hi[ch] = lo, hi
	levels := 1<<q.Bits - 1
	inv := float32(0)
	if hi > lo {
		inv = float32(levels) / (hi - lo)
	}
	words := q.Words[ch*q.WordsPerChannel() : (ch+1)*q.WordsPerChannel()]
	clear(words)
	for b := range q.N {
		base := (b*q.C + ch) * q.Inner
		for i := range q.Inner {
			j := b*q.Inner + i
			// float32() rounds the product before the add: no fused multiply-add,
			// as on the GPU (compiled with --fmad=false).
			code := int(float32((x[base+i]-lo)*inv) + Uniform(start, j))
			code = min(code, levels)
			pos := j * q.Bits
			words[pos>>6] |= uint64(code) << (uint(pos) & 63)
		}
	}
}

// DecodeCodes writes the decoded values of q into dst (length q.Len()).
func DecodeCodes(q *Codes, dst []float32) {
	mask := uint64(1)<<q.Bits - 1
	for ch := range q.C {
		lo := q.Lo[ch]
		step := (q.Hi[ch] - lo) / float32(int(1)<<q.Bits-1)
		words := q.Words[ch*q.WordsPerChannel() : (ch+1)*q.WordsPerChannel()]
		for b := range q.N {
			base := (b*q.C + ch) * q.Inner
			for i := range q.Inner {
				pos := (b*q.Inner + i) * q.Bits
				code := words[pos>>6] >> (uint(pos) & 63) & mask
				dst[base+i] = lo + float32(float32(code)*step)
			}
		}
	}
}

// channelRange is the minimum and maximum of channel ch ([0, 0] if empty).
func channelRange(x []float32, n, c, inner, ch int) (lo, hi float32) {
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	for b := range n {
		for _, v := range x[(b*c+ch)*inner : (b*c+ch+1)*inner] {
			if v < lo { // comparisons skip NaN, as the GPU kernel does
				lo = v
			}
			if v > hi {
				hi = v
			}
		}
	}
	if lo > hi {
		return 0, 0
	}
	return lo, hi
}
