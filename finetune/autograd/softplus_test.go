package autograd

import (
	"math"
	"testing"
)

func softplusCases() []opCase {
	return []opCase{unaryCase("Softplus", (*Tape).Softplus, -5, 5, 0.01)}
}

func TestSoftplusGrad(t *testing.T) { checkOps(t, softplusCases()) }

// TestSoftplusRange: no overflow for large x, no lost precision for very
// negative x (where ln(1 + eˣ) ≈ eˣ).
func TestSoftplusRange(t *testing.T) {
	if got := softplus(100); got != 100 {
		t.Fatalf("softplus(100) = %v", got)
	}
	if got, want := float64(softplus(-50)), math.Exp(-50); math.Abs(got-want) > 1e-6*want {
		t.Fatalf("softplus(-50) = %v, want %v", got, want)
	}
}
