package ir

import (
	"math"
	"testing"
)

// TestScalesByHand checks each mode on a 2×3 weight in both layouts.
func TestScalesByHand(t *testing.T) {
	w := []float32{1, -2, 0, 3, 0.5, -0.5} // rows: out channel 0 = {1,-2,0}, 1 = {3,.5,-.5}
	rows := WeightLayout{Out: 2, FanIn: 3}
	cases := []struct {
		mode ScaleMode
		want []float32
	}{
		{ScaleHe, []float32{float32(math.Sqrt(2.0 / 3)), float32(math.Sqrt(2.0 / 3))}},
		{ScaleChannel, []float32{1, 4.0 / 3}},
		{ScaleLayer, []float32{7.0 / 6, 7.0 / 6}},
	}
	for _, c := range cases {
		got := c.mode.Scales(w, rows)
		for i := range got {
			if math.Abs(float64(got[i]-c.want[i])) > 1e-6 {
				t.Errorf("%s: scales %v, want %v", c.mode, got, c.want)
			}
		}
	}
	// The same weights stored transposed [fanIn, out] give the same channel scales.
	wt := []float32{1, 3, -2, 0.5, 0, -0.5}
	got := ScaleChannel.Scales(wt, WeightLayout{Out: 2, FanIn: 3, ColMajor: true})
	if got[0] != 1 || math.Abs(float64(got[1])-4.0/3) > 1e-6 {
		t.Errorf("column layout: %v, want [1 1.333]", got)
	}
	dst := make([]float32, 6)
	ScaleChannel.Binarize(dst, w, rows)
	want := []float32{1, -1, 1, 4.0 / 3, 4.0 / 3, -4.0 / 3} // sign(0) = +1
	for i := range want {
		if math.Abs(float64(dst[i]-want[i])) > 1e-6 {
			t.Fatalf("Binarize = %v, want %v", dst, want)
		}
	}
}

func TestParseScaleMode(t *testing.T) {
	for in, want := range map[string]ScaleMode{"": ScaleChannel, "he": ScaleHe, " Layer": ScaleLayer, "channel": ScaleChannel} {
		if got, err := ParseScaleMode(in); err != nil || got != want {
			t.Errorf("ParseScaleMode(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseScaleMode("xnor"); err == nil {
		t.Error("xnor accepted")
	}
}

// TestLayoutOf: each layer op's output channels and fan-in, and the bytes a
// .bnn gives them (a 3×3 conv of 16 → 32 channels: fan-in 144 = 3 words).
func TestLayoutOf(t *testing.T) {
	cases := []struct {
		op     string
		transB bool
		shape  []int
		want   WeightLayout
	}{
		{"Conv", false, []int{32, 16, 3, 3}, WeightLayout{Out: 32, FanIn: 144}},
		{"Gemm", true, []int{10, 64}, WeightLayout{Out: 10, FanIn: 64}},
		{"Gemm", false, []int{64, 10}, WeightLayout{Out: 10, FanIn: 64, ColMajor: true}},
		{"MatMul", false, []int{64, 10}, WeightLayout{Out: 10, FanIn: 64, ColMajor: true}},
	}
	for _, c := range cases {
		if got, ok := LayoutOf(c.op, c.transB, c.shape); !ok || got != c.want {
			t.Errorf("%s %v: %+v %v, want %+v", c.op, c.shape, got, ok, c.want)
		}
	}
	if _, ok := LayoutOf("Relu", false, []int{2, 2}); ok {
		t.Error("Relu has a weight layout")
	}
	l := cases[0].want
	if l.BinaryBytes() != 32*(3*8+8) || l.FloatBytes() != 4*32*144 {
		t.Errorf("bytes %d binary, %d float", l.BinaryBytes(), l.FloatBytes())
	}
}
