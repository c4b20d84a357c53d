package finetune

import (
	"math"
	"testing"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/internal/backend"
	"github.com/bincompress/bincompress/internal/bits"
)

// TestScalesByHand checks each mode on a 2×3 weight in both layouts.
func TestScalesByHand(t *testing.T) {
	w := []float32{1, -2, 0, 3, 0.5, -0.5} // rows: out channel 0 = {1,-2,0}, 1 = {3,.5,-.5}
	rows := wlayout{out: 2, fanIn: 3}
	cases := []struct {
		mode ScaleMode
		want []float32
	}{
		{ScaleHe, []float32{float32(math.Sqrt(2.0 / 3)), float32(math.Sqrt(2.0 / 3))}},
		{ScaleChannel, []float32{1, 4.0 / 3}},
		{ScaleLayer, []float32{7.0 / 6, 7.0 / 6}},
	}
	for _, c := range cases {
		got := scales(w, rows, c.mode)
		for i := range got {
			if math.Abs(float64(got[i]-c.want[i])) > 1e-6 {
				t.Errorf("%s: scales %v, want %v", c.mode, got, c.want)
			}
		}
	}
	// The same weights stored transposed [fanIn, out] give the same channel scales.
	wt := []float32{1, 3, -2, 0.5, 0, -0.5}
	got := scales(wt, wlayout{out: 2, fanIn: 3, cols: true}, ScaleChannel)
	if got[0] != 1 || math.Abs(float64(got[1])-4.0/3) > 1e-6 {
		t.Errorf("column layout: %v, want [1 1.333]", got)
	}
	dst := make([]float32, 6)
	binarize(dst, w, rows, ScaleChannel)
	want := []float32{1, -1, 1, 4.0 / 3, 4.0 / 3, -4.0 / 3} // sign(0) = +1
	for i := range want {
		if math.Abs(float64(dst[i]-want[i])) > 1e-6 {
			t.Fatalf("binarize = %v, want %v", dst, want)
		}
	}
	if _, err := ParseScaleMode("bwn"); err == nil {
		t.Fatal("want an error for an unknown mode")
	}
}

// scales returns s per output channel for w under mode.
func scales(w []float32, l wlayout, mode ScaleMode) []float32 {
	return bits.RowScales(w, l.out, l.fanIn, l.index, string(mode))
}

// binarize writes dst = s·sign(w) with the trainer's binarizing, the
// backends' Binarize.
func binarize(dst, w []float32, l wlayout, mode ScaleMode) {
	autograd.CPU{}.Binarize(backend.Host(dst), backend.Host(w), l.out, l.fanIn, l.cols, string(mode))
}

// index is element (o, j) of the layout.
func (l wlayout) index(o, j int) int {
	if l.cols {
		return j*l.out + o
	}
	return o*l.fanIn + j
}
