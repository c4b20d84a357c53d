package autograd

// stream is a counter-based generator: splitmix64 over a counter that starts
// at a hash of (key, stream, channel). Any element's noise depends only on
// those three numbers and its position, never on goroutine scheduling.
type stream struct {
	x    uint64
	half uint64
	have bool
}

func newStream(key, s, ch uint64) *stream {
	return &stream{x: mix64(mix64(key^0x9e3779b97f4a7c15) ^ mix64(s<<20^ch+0x632be59bd9b4e019))}
}

// mix64 is splitmix64's finalizer.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// uniform returns U ~ Uniform[0,1) with 24 random bits; each 64-bit draw
// serves two values.
func (r *stream) uniform() float32 {
	if r.have {
		r.have = false
		return float32(r.half) / (1 << 24)
	}
	r.x += 0x9e3779b97f4a7c15
	z := mix64(r.x)
	r.half = z & (1<<24 - 1)
	r.have = true
	return float32(z>>40) / (1 << 24)
}
