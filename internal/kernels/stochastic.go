package kernels

// Stochastic rounding for the codes the trainer saves for backward. The
// noise is a counter-based stream (splitmix64 over a counter), so any
// element's noise depends only on the stream's seed and its position, never
// on goroutine scheduling; the AVX-512 body (stochastic_avx512_amd64.s)
// draws it eight counters at a time.

// golden is splitmix64's counter increment.
const golden = 0x9e3779b97f4a7c15

// Mix64 is splitmix64's finalizer.
func Mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Uniform is value e of the stream with state seed, a U ~ Uniform[0,1)
// with 24 random bits: draw k, Mix64(seed + (k+1)·golden), gives value 2k
// (its top 24 bits) and value 2k+1 (its low 24 bits).
func Uniform(seed uint64, e int) float32 {
	z := Mix64(seed + uint64(e/2+1)*golden)
	if e%2 == 0 {
		return float32(z>>40) / (1 << 24)
	}
	return float32(z&(1<<24-1)) / (1 << 24)
}

// StochasticBits sets bit e0+i of words (least significant first; those
// bits must be clear) for i < len(x) where
//
//	(x[i] − lo)·inv + Uniform(seed, e0+i) ≥ 1,
//
// each operation rounded to float32 in that order: the 1-bit stochastic
// rounding of x on [lo, lo + 1/inv] (never set for NaN).
func StochasticBits(words []uint64, e0 int, x []float32, lo, inv float32, seed uint64) {
	one := func(i int) {
		e := e0 + i
		if float32((x[i]-lo)*inv)+Uniform(seed, e) >= 1 {
			words[e>>6] |= 1 << (e & 63)
		}
	}
	i := 0
	for ; i < len(x) && (e0+i)%16 != 0; i++ {
		one(i)
	}
	if blocks := (len(x) - i) / 16; blocks > 0 {
		_ = words[(e0+i+blocks*16-1)>>6]
		i += stochasticBitsFast(words, e0+i, x[i:i+blocks*16], lo, inv, seed)
	}
	for ; i < len(x); i++ {
		one(i)
	}
}
