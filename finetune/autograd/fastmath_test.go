package autograd

import (
	"math"
	"testing"
)

// TestExpf holds expf to Go's math.Exp (rounded to float32) within 2 ulp
// over float32's whole range in fine steps, with overflow, underflow and
// NaN as math.Exp has them.
func TestExpf(t *testing.T) {
	worst := 0.0
	for x := float32(-104); x < 89; x += 0.000371 {
		want := float32(math.Exp(float64(x)))
		got := expf(x)
		if want == 0 || math.IsInf(float64(want), 0) {
			if got != want && !(want == 0 && got < 1e-44) {
				t.Fatalf("expf(%v) = %v, want %v", x, got, want)
			}
			continue
		}
		ulp := float64(want - math.Nextafter32(want, 0))
		worst = math.Max(worst, math.Abs(float64(got-want))/ulp)
	}
	t.Logf("expf within %.2f ulp of math.Exp", worst)
	if worst > 1 {
		t.Fatalf("expf is off by %.2f ulp", worst)
	}
	if got := expf(float32(math.NaN())); got == got {
		t.Fatalf("expf(NaN) = %v", got)
	}
	if expf(100) != float32(math.Inf(1)) || expf(-200) != 0 {
		t.Fatal("overflow or underflow wrong")
	}
}
