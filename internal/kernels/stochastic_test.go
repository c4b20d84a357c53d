package kernels

import (
	"math"
	"testing"
)

// TestUniform: the stream is splitmix64 drawn in turn, two 24-bit values a
// draw (high bits first), each in [0, 1).
func TestUniform(t *testing.T) {
	const seed = 0x1234_5678_9abc_def0
	x := uint64(seed)
	for e := 0; e < 1000; e += 2 {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31
		hi, lo := float32(z>>40)/(1<<24), float32(z&(1<<24-1))/(1<<24)
		if Uniform(seed, e) != hi || Uniform(seed, e+1) != lo || hi >= 1 || lo >= 1 {
			t.Fatalf("values %d, %d: %v, %v; want %v, %v", e, e+1, Uniform(seed, e), Uniform(seed, e+1), hi, lo)
		}
	}
}

// TestStochasticBits holds the encoder (assembly on amd64) to its rule for
// runs starting at every offset in a 16-bit chunk and of every length
// across a few blocks, with NaN, ±Inf and values at the range's ends.
func TestStochasticBits(t *testing.T) {
	r := newRand(8)
	const lo, inv, seed = -0.5, 0.8, 77
	for e0 := range 40 {
		for n := range 70 {
			x := make([]float32, n)
			for i := range x {
				x[i] = lo + r.Float32()/inv
				switch r.IntN(20) {
				case 0:
					x[i] = float32(math.NaN())
				case 1:
					x[i] = float32(math.Inf(1 - 2*r.IntN(2)))
				case 2:
					x[i] = lo
				case 3:
					x[i] = float32(math.Copysign(0, -1))
				case 4:
					x[i] = float32(1-2*r.IntN(2)) * math.MaxFloat32
				}
			}
			words := make([]uint64, (e0+n+63)/64+1)
			StochasticBits(words, e0, x, lo, inv, seed)
			for b := range 64 * len(words) {
				i := b - e0
				want := i >= 0 && i < n && float32((x[i]-lo)*inv)+Uniform(seed, b) >= 1
				if got := words[b>>6]>>(b&63)&1 == 1; got != want {
					t.Fatalf("e0=%d n=%d: bit %d = %v, want %v (x=%v)", e0, n, b, got, want, x[max(i, 0)%max(n, 1)])
				}
			}
		}
	}
}

// TestStochasticBitsUnbiased: the mean bit approaches (x − lo)·inv.
func TestStochasticBitsUnbiased(t *testing.T) {
	const n = 1 << 16
	for _, p := range []float32{0, 0.1, 0.5, 0.93, 1} {
		x := make([]float32, n)
		for i := range x {
			x[i] = p
		}
		words := make([]uint64, n/64)
		StochasticBits(words, 0, x, 0, 1, 5)
		ones := 0
		for _, w := range words {
			for ; w != 0; w &= w - 1 {
				ones++
			}
		}
		sd := math.Sqrt(float64(p*(1-p)) / n)
		if got := float64(ones) / n; math.Abs(got-float64(p)) > 5*sd+1e-9 {
			t.Errorf("p=%v: mean bit %v", p, got)
		}
	}
}

// TestStochasticCodes2 holds both 2-bit encoders (assembly on amd64) to
// their rules, as TestStochasticBits does the 1-bit one.
func TestStochasticCodes2(t *testing.T) {
	r := newRand(10)
	const lo, inv, seed = -1, 1.25, 99
	mul, add := [2]float32{0.7, -1.3}, [2]float32{0.25, 0.5}
	for e0 := range 36 {
		for n := range 90 {
			x, relu := make([]float32, n), make([]float32, n)
			for i := range x {
				x[i] = lo + 3*r.Float32()/inv
				relu[i] = r.Float32() - 0.5
				switch r.IntN(16) {
				case 0:
					x[i] = float32(math.NaN())
				case 1:
					x[i] = float32(math.Inf(1 - 2*r.IntN(2)))
				case 2:
					relu[i] = float32(math.NaN())
				case 3:
					relu[i] = 0
				case 4:
					relu[i] = float32(math.Copysign(0, -1))
				case 5:
					x[i] = float32(math.Copysign(0, -1))
				case 6:
					x[i] = float32(1-2*r.IntN(2)) * math.MaxFloat32
				case 7:
					relu[i] = float32(math.Inf(1 - 2*r.IntN(2)))
				}
			}
			plain, fused := make([]uint64, (e0+n+31)/32+1), make([]uint64, (e0+n+31)/32+1)
			StochasticCodes2(plain, e0, x, lo, inv, seed)
			StochasticReluCodes2(fused, e0, x, relu, mul, add, seed)
			for e := range 32 * len(plain) {
				i := e - e0
				var wantP, wantF uint64
				if i >= 0 && i < n {
					u := Uniform(seed, e)
					wantP = Level(float32((x[i]-lo)*inv)+u, 3)
					on := uint64(0)
					if relu[i] > 0 {
						on = 1
					}
					wantF = on | Level(float32(x[i]*mul[on])+add[on]+u, 1)<<1
				}
				gotP, gotF := plain[e>>5]>>(2*(e&31))&3, fused[e>>5]>>(2*(e&31))&3
				if gotP != wantP || gotF != wantF {
					t.Fatalf("e0=%d n=%d: code %d = %d, %d; want %d, %d", e0, n, e, gotP, gotF, wantP, wantF)
				}
			}
		}
	}
}

// TestLevel: ⌊f⌋ within [0, top], NaN and negatives 0, +Inf top.
func TestLevel(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, c := range []struct {
		f    float32
		top  int
		want uint64
	}{{0, 3, 0}, {0.99, 3, 0}, {1, 3, 1}, {2.5, 3, 2}, {3, 3, 3}, {7, 3, 3}, {inf, 3, 3}, {nan, 3, 0}, {-2, 3, 0}, {-inf, 1, 0}, {1.5, 1, 1}} {
		if got := Level(c.f, c.top); got != c.want {
			t.Errorf("Level(%v, %d) = %d, want %d", c.f, c.top, got, c.want)
		}
	}
}

// BenchmarkStochastic times the encoders on a 32×32 feature-map row (the
// assembly where the CPU has it; -tags purego for the Go loops).
func BenchmarkStochastic(b *testing.B) {
	const n = 1024
	r := newRand(3)
	x, relu := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], relu[i] = r.Float32(), r.Float32()-0.5
	}
	words := make([]uint64, n/32)
	run := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				clear(words)
				f()
			}
		})
	}
	run("bits", func() { StochasticBits(words, 0, x, 0, 1, 7) })
	run("codes2", func() { StochasticCodes2(words, 0, x, 0, 3, 7) })
	run("relu-codes2", func() { StochasticReluCodes2(words, 0, x, relu, [2]float32{1, 2}, [2]float32{0.5, -1}, 7) })
}
