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

// Level is ⌊f⌋ clamped to [0, top]: top for f ≥ top (+Inf included), 0
// for f < 1 and for NaN. It is the code of a value f = (x − start)/step + U
// rounded stochastically on a grid of top + 1 levels.
func Level(f float32, top int) uint64 {
	switch {
	case f >= float32(top):
		return uint64(top)
	case f >= 1:
		return uint64(f)
	}
	return 0
}

// StochasticCodes2 sets the 2-bit codes e0+i of words (bits 2(e0+i) and
// 2(e0+i)+1, least significant first; they must be clear) for i < len(x) to
//
//	Level((x[i] − lo)·inv + Uniform(seed, e0+i), 3),
//
// each operation rounded to float32 in that order: the 2-bit stochastic
// rounding of x on [lo, lo + 3/inv].
func StochasticCodes2(words []uint64, e0 int, x []float32, lo, inv float32, seed uint64) {
	one := func(i int) {
		e := e0 + i
		words[e>>5] |= Level(float32((x[i]-lo)*inv)+Uniform(seed, e), 3) << (2 * (e & 31))
	}
	in16Blocks(e0, len(x), one, func(i, blocks int) int {
		_ = words[(e0+i+blocks*16-1)>>5]
		return stochasticCodes2Fast(words, e0+i, x[i:i+blocks*16], nil, [2]float32{inv, inv}, [2]float32{lo, lo}, seed)
	})
}

// StochasticReluCodes2 sets the 2-bit codes e0+i of words (as
// StochasticCodes2) to on | Level(x[i]·mul[on] + add[on] + Uniform(seed,
// e0+i), 1)<<1 with on = 1 where relu[i] > 0: one code holding a ReLU's
// exact mask and a stochastic level of x within the half it selects.
func StochasticReluCodes2(words []uint64, e0 int, x, relu []float32, mul, add [2]float32, seed uint64) {
	relu = relu[:len(x)]
	one := func(i int) {
		e := e0 + i
		on := uint64(0)
		if relu[i] > 0 {
			on = 1
		}
		words[e>>5] |= (on | Level(float32(x[i]*mul[on])+add[on]+Uniform(seed, e), 1)<<1) << (2 * (e & 31))
	}
	in16Blocks(e0, len(x), one, func(i, blocks int) int {
		_ = words[(e0+i+blocks*16-1)>>5]
		return stochasticCodes2Fast(words, e0+i, x[i:i+blocks*16], relu[i:i+blocks*16], mul, add, seed)
	})
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
	in16Blocks(e0, len(x), one, func(i, blocks int) int {
		_ = words[(e0+i+blocks*16-1)>>6]
		return stochasticBitsFast(words, e0+i, x[i:i+blocks*16], lo, inv, seed)
	})
}

// in16Blocks runs the n elements of a stream from position e0: one(i) for
// those before the first multiple of 16 and after the last whole block of
// 16, fast(i, blocks) on the whole blocks from element i (it returns how
// many elements it did, leaving the rest to one).
func in16Blocks(e0, n int, one func(i int), fast func(i, blocks int) int) {
	i := 0
	for ; i < n && (e0+i)%16 != 0; i++ {
		one(i)
	}
	if blocks := (n - i) / 16; blocks > 0 {
		i += fast(i, blocks)
	}
	for ; i < n; i++ {
		one(i)
	}
}
