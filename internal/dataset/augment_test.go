package dataset

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// offsetOf recovers the shift (dy, dx) from an output of shift on an image
// whose values are 1 + their index: out(y,x) = in(y+dy, x+dx) or 0 outside.
func offsetOf(t *testing.T, out []float32, s Shape, p int) (int, int) {
	t.Helper()
	for dy := -p; dy <= p; dy++ {
		for dx := -p; dx <= p; dx++ {
			ok := true
			for c := range s.C {
				for y := range s.H {
					for x := range s.W {
						want := float32(0)
						if sy, sx := y+dy, x+dx; sy >= 0 && sy < s.H && sx >= 0 && sx < s.W {
							want = float32(1 + (c*s.H+sy)*s.W + sx)
						}
						ok = ok && out[(c*s.H+y)*s.W+x] == want
					}
				}
			}
			if ok {
				return dy, dx
			}
		}
	}
	t.Fatalf("output is no shift of the input by at most %d: %v", p, out)
	return 0, 0
}

// augmented runs the augmentation alone: pixels already on the [0,1]
// scale, no other preprocessing.
func augmented(t *testing.T, in []float32, s Shape, a Augment, r randSource) []float32 {
	t.Helper()
	out := make([]float32, len(in))
	must(t, Preprocess{}.apply(out, Image{Shape: s, F32: in}, a, r))
	return out
}

func TestPadCrop(t *testing.T) {
	s, p := Shape{3, 5, 6}, 2
	in := make([]float32, s.Len())
	for i := range in {
		in[i] = float32(1 + i)
	}
	counts := map[[2]int]int{}
	const draws = 5000
	for i := range draws {
		out := augmented(t, in, s, Augment{Pad: p}, NewRand(9, tagAugment, 0, i))
		dy, dx := offsetOf(t, out, s, p)
		counts[[2]int{dy, dx}]++
	}
	// 25 offsets, 200 expected each; 4.5 sigma bounds.
	if len(counts) != 25 {
		t.Fatalf("saw %d of 25 offsets", len(counts))
	}
	for off, n := range counts {
		if n < 137 || n > 263 {
			t.Errorf("offset %v drawn %d times of %d, want about 200", off, n, draws)
		}
	}
}

func TestFlip(t *testing.T) {
	s := Shape{1, 2, 3}
	in := []float32{1, 2, 3, 4, 5, 6}
	flipped := 0
	for i := range 2000 {
		out := augmented(t, in, s, Augment{Flip: true}, NewRand(1, tagAugment, 3, i))
		switch {
		case reflect.DeepEqual(out, []float32{3, 2, 1, 6, 5, 4}):
			flipped++
		case !reflect.DeepEqual(out, in):
			t.Fatalf("neither the image nor its mirror: %v", out)
		}
	}
	if flipped < 900 || flipped > 1100 {
		t.Fatalf("flipped %d of 2000", flipped)
	}
}

func TestPermutation(t *testing.T) {
	p := Permutation(1000, 5, 2)
	if !reflect.DeepEqual(p, Permutation(1000, 5, 2)) {
		t.Fatal("same seed and epoch gave different orders")
	}
	if reflect.DeepEqual(p, Permutation(1000, 5, 3)) || reflect.DeepEqual(p, Permutation(1000, 6, 2)) {
		t.Fatal("another epoch or seed gave the same order")
	}
	sorted := slices.Clone(p)
	slices.Sort(sorted)
	for i, v := range sorted {
		if v != i {
			t.Fatalf("not a permutation: %d at %d", v, i)
		}
	}
	// Every order of 3 items, about equally often.
	counts := map[string]int{}
	for e := range 6000 {
		counts[fmt.Sprint(Permutation(3, 1, e))]++
	}
	for k, n := range counts {
		if len(counts) != 6 || n < 850 || n > 1150 {
			t.Fatalf("%d orders; %s drawn %d of 6000", len(counts), k, n)
		}
	}
}

func TestIntNUniform(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	counts := make([]int, 7)
	for range 70000 {
		counts[intN(r, 7)]++
	}
	for v, n := range counts {
		if n < 9500 || n > 10500 {
			t.Fatalf("value %d drawn %d times, want about 10000", v, n)
		}
	}
}
