package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// sentinel marks memory a kernel must not write.
const sentinel = float32(-12345.5)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x6b65726e656c73)) }

// randSlice is n values uniform in [-1, 1).
func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// guarded is a slice of n elements with sentinel guards on both sides; check
// reports a guard that was overwritten.
type guarded struct{ buf []float32 }

const guardLen = 67

func newGuarded(n int) guarded {
	g := guarded{make([]float32, n+2*guardLen)}
	for i := range g.buf {
		g.buf[i] = sentinel
	}
	return g
}

func (g guarded) data() []float32 { return g.buf[guardLen : len(g.buf)-guardLen] }

func (g guarded) check(t *testing.T, what string) {
	t.Helper()
	for i := range guardLen {
		if g.buf[i] != sentinel || g.buf[len(g.buf)-1-i] != sentinel {
			t.Fatalf("%s: guard around the output overwritten", what)
		}
	}
}

// closeTo reports the first element where got and want differ by more than
// tol·(1+|want|).
func closeTo(got, want []float32, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("length %d, want %d", len(got), len(want))
	}
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if !(d <= tol*(1+math.Abs(float64(want[i])))) {
			return fmt.Errorf("element %d = %v, want %v (|diff| %.3g)", i, got[i], want[i], d)
		}
	}
	return nil
}
