package autograd

import "github.com/bincompress/bincompress/internal/kernels"

// stream is a counter-based generator: kernels.Uniform's splitmix64 stream
// from a seed hashed from (key, stream, channel). Any element's noise
// depends only on those three numbers and its position, never on goroutine
// scheduling.
type stream struct {
	x    uint64
	half uint64
	have bool
}

func newStream(key, s, ch uint64) *stream {
	return &stream{x: kernels.Mix64(kernels.Mix64(key^0x9e3779b97f4a7c15) ^ kernels.Mix64(s<<20^ch+0x632be59bd9b4e019))}
}

// uniform returns the stream's next value, kernels.Uniform(seed, e) for
// e = 0, 1, 2, …; each 64-bit draw serves two values.
func (r *stream) uniform() float32 {
	if r.have {
		r.have = false
		return float32(r.half) / (1 << 24)
	}
	r.x += 0x9e3779b97f4a7c15
	z := kernels.Mix64(r.x)
	r.half = z & (1<<24 - 1)
	r.have = true
	return float32(z>>40) / (1 << 24)
}
