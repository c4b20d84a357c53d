package bits

import (
	"encoding/binary"
	"fmt"
	mbits "math/bits"
)

// WordBits is the number of elements one packed word holds.
const WordBits = 64

// WordsPerRow is the number of 64-bit words a row of n elements occupies.
func WordsPerRow(n int) int { return (n + WordBits - 1) / WordBits }

// Bit is the packed bit of x: 1 unless x < 0.
func Bit(x float32) uint64 {
	if x < 0 {
		return 0
	}
	return 1
}

// Sign is the value a packed x stands for: +1 unless x < 0, then −1.
func Sign(x float32) float32 {
	if x < 0 {
		return -1
	}
	return 1
}

// PackRow packs w into dst, which must hold WordsPerRow(len(w)) words.
// Every word of dst is overwritten, so padding bits come out 0.
func PackRow(dst []uint64, w []float32) {
	n := WordsPerRow(len(w))
	for i := range n {
		var word uint64
		chunk := w[i*WordBits : min((i+1)*WordBits, len(w))]
		for j, x := range chunk {
			word |= Bit(x) << j
		}
		dst[i] = word
	}
}

// PackRows packs a row-major [rows, cols] matrix into dst, which must hold
// rows*WordsPerRow(cols) words: row r occupies dst[r*wpr : (r+1)*wpr].
func PackRows(dst []uint64, w []float32, rows, cols int) {
	wpr := WordsPerRow(cols)
	for r := range rows {
		PackRow(dst[r*wpr:(r+1)*wpr], w[r*cols:(r+1)*cols])
	}
}

// UnpackRow writes scale·(±1) for the first cols elements of a packed row
// into dst[:cols]. The padding bits are not read.
func UnpackRow(dst []float32, words []uint64, cols int, scale float32) {
	dst = dst[:cols]
	for j := range dst {
		if words[j/WordBits]>>(j%WordBits)&1 != 0 {
			dst[j] = scale
		} else {
			dst[j] = -scale
		}
	}
}

// UnpackRows unpacks rows packed rows into a row-major [rows, cols] matrix,
// row r scaled by scales[r] (scales nil means 1 for every row).
func UnpackRows(dst []float32, words []uint64, rows, cols int, scales []float32) {
	wpr := WordsPerRow(cols)
	for r := range rows {
		s := float32(1)
		if scales != nil {
			s = scales[r]
		}
		UnpackRow(dst[r*cols:(r+1)*cols], words[r*wpr:(r+1)*wpr], cols, s)
	}
}

// PaddingMask is the mask of the used bits in the last word of a row of
// cols elements (all ones when cols is a whole number of words).
func PaddingMask(cols int) uint64 {
	if r := cols % WordBits; r != 0 {
		return 1<<r - 1
	}
	return ^uint64(0)
}

// CheckPadding reports the first row of a packed [rows, cols] matrix whose
// padding bits are not all 0.
func CheckPadding(words []uint64, rows, cols int) error {
	wpr := WordsPerRow(cols)
	if wpr == 0 {
		return nil
	}
	mask := PaddingMask(cols)
	for r := range rows {
		if words[r*wpr+wpr-1]&^mask != 0 {
			return fmt.Errorf("bits: row %d of %d has nonzero padding bits past column %d", r, rows, cols)
		}
	}
	return nil
}

// Dot is the dot product of the ±1 vectors two packed rows of cols elements
// stand for: cols − 2·popcount(a XOR b), padding excluded.
func Dot(a, b []uint64, cols int) int {
	wpr := WordsPerRow(cols)
	diff := 0
	for i := range wpr {
		x := a[i] ^ b[i]
		if i == wpr-1 {
			x &= PaddingMask(cols)
		}
		diff += mbits.OnesCount64(x)
	}
	return cols - 2*diff
}

// DotFloat is Σ_j sign_j·x[j] for a packed row and a float vector of its
// length: the reference a binary-weight kernel is tested against.
func DotFloat(words []uint64, x []float32) float32 {
	var s float32
	for j, v := range x {
		if words[j/WordBits]>>(j%WordBits)&1 != 0 {
			s += v
		} else {
			s -= v
		}
	}
	return s
}

// Bytes serializes words little-endian, 8 bytes per word.
func Bytes(words []uint64) []byte {
	out := make([]byte, 8*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint64(out[8*i:], w)
	}
	return out
}

// Words parses little-endian words; the length must be a multiple of 8.
func Words(b []byte) ([]uint64, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("bits: %d bytes is not a whole number of 64-bit words", len(b))
	}
	out := make([]uint64, len(b)/8)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return out, nil
}
