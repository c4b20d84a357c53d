package bits

import (
	"math"
	"math/rand"
	"reflect"
	"testing"
	"testing/quick"
)

// matrix is a random [rows, cols] float matrix for testing/quick. Values
// include exact zeros, negative zeros and NaN so sign(0) = +1 is exercised.
type matrix struct {
	rows, cols int
	w          []float32
}

func (matrix) Generate(r *rand.Rand, _ int) reflect.Value {
	m := matrix{rows: r.Intn(5), cols: r.Intn(200)}
	m.w = make([]float32, m.rows*m.cols)
	for i := range m.w {
		switch r.Intn(8) {
		case 0:
			m.w[i] = 0
		case 1:
			m.w[i] = float32(math.Copysign(0, -1))
		default:
			m.w[i] = float32(r.NormFloat64())
		}
	}
	return reflect.ValueOf(m)
}

func quickConfig() *quick.Config {
	return &quick.Config{MaxCount: 300, Rand: rand.New(rand.NewSource(1))}
}

func pack(m matrix) []uint64 {
	dst := make([]uint64, m.rows*WordsPerRow(m.cols))
	for i := range dst {
		dst[i] = ^uint64(0) // PackRows must overwrite stale bits
	}
	PackRows(dst, m.w, m.rows, m.cols)
	return dst
}

func refSign(x float32) float32 {
	if math.Signbit(float64(x)) && x != 0 {
		return -1
	}
	return 1
}

func TestUnpackPackIsSign(t *testing.T) {
	f := func(m matrix) bool {
		scales := make([]float32, m.rows)
		for r := range scales {
			scales[r] = float32(r) + 0.5
		}
		got := make([]float32, len(m.w))
		UnpackRows(got, pack(m), m.rows, m.cols, scales)
		for i, x := range m.w {
			if got[i] != scales[i/m.cols]*refSign(x) {
				return false
			}
		}
		return true
	}
	if err := quick.Check(f, quickConfig()); err != nil {
		t.Error(err)
	}
}

func TestPaddingIsZero(t *testing.T) {
	f := func(m matrix) bool {
		p := pack(m)
		wpr := WordsPerRow(m.cols)
		for r := range m.rows {
			for j := m.cols; j < wpr*WordBits; j++ {
				if p[r*wpr+j/64]>>(j%64)&1 != 0 {
					return false
				}
			}
		}
		return CheckPadding(p, m.rows, m.cols) == nil
	}
	if err := quick.Check(f, quickConfig()); err != nil {
		t.Error(err)
	}
}

func TestCheckPaddingFindsSetBit(t *testing.T) {
	w := []uint64{0, 0, 1 << 5}
	if err := CheckPadding(w, 3, 5); err == nil {
		t.Fatal("padding bit 5 of row 2 not reported")
	}
	if err := CheckPadding(w, 3, 6); err != nil {
		t.Fatalf("bit 5 is data when cols = 6: %v", err)
	}
}

func TestPackedDotEqualsFloatDot(t *testing.T) {
	f := func(m matrix) bool {
		if m.rows < 2 {
			return true
		}
		p := pack(m)
		wpr := WordsPerRow(m.cols)
		a, b := m.w[:m.cols], m.w[m.cols:2*m.cols]
		want := 0
		for j := range a {
			want += int(refSign(a[j]) * refSign(b[j]))
		}
		if Dot(p[:wpr], p[wpr:2*wpr], m.cols) != want {
			return false
		}
		var wantF float64
		for j := range a {
			wantF += float64(refSign(a[j]) * b[j])
		}
		got := DotFloat(p[:wpr], b)
		return math.Abs(float64(got)-wantF) <= 1e-4*(1+math.Abs(wantF))
	}
	if err := quick.Check(f, quickConfig()); err != nil {
		t.Error(err)
	}
}

// TestByteView checks the promise of the format: element j of a row is bit
// j%8 of byte j/8 of the row's little-endian bytes.
func TestByteView(t *testing.T) {
	f := func(m matrix) bool {
		p := pack(m)
		b := Bytes(p)
		wpr := WordsPerRow(m.cols)
		for r := range m.rows {
			row := b[r*wpr*8 : (r+1)*wpr*8]
			for j := range m.cols {
				bit := row[j/8] >> (j % 8) & 1
				if uint64(bit) != Bit(m.w[r*m.cols+j]) {
					return false
				}
			}
		}
		back, err := Words(b)
		return err == nil && reflect.DeepEqual(back, p) || len(p) == 0 && len(back) == 0
	}
	if err := quick.Check(f, quickConfig()); err != nil {
		t.Error(err)
	}
}

func TestWordsRejectsPartialWord(t *testing.T) {
	for _, n := range []int{1, 7, 9, 15} {
		if _, err := Words(make([]byte, n)); err == nil {
			t.Errorf("Words(%d bytes) gave no error", n)
		}
	}
}

func TestWordsPerRow(t *testing.T) {
	for n, want := range map[int]int{0: 0, 1: 1, 63: 1, 64: 1, 65: 2, 576: 9, 577: 10} {
		if got := WordsPerRow(n); got != want {
			t.Errorf("WordsPerRow(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestSignOfZeroAndNaN(t *testing.T) {
	for _, x := range []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), 1e-30} {
		if Bit(x) != 1 || Sign(x) != 1 {
			t.Errorf("x = %v: bit %d sign %v, want 1 and +1", x, Bit(x), Sign(x))
		}
	}
	if Bit(-1e-30) != 0 || Sign(float32(math.Inf(-1))) != -1 {
		t.Error("negative values must pack to 0")
	}
}
