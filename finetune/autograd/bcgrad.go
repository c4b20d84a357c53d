package autograd

// backward is the backward pass of a broadcast binary op: for each output
// element i, read from a[ia] and b[ib], f gives the gradient contributions
// to a and b, which are summed (over the broadcast elements) into zeroed
// buffers from bufs and handed to ag and bg (only those that are not nil).
func (bc *broadcast) backward(ag, bg *Grad, aLen, bLen int, bufs *Buffers, f func(i, ia, ib int) (ga, gb float32)) {
	da, db := zeroed(ag, aLen, bufs), zeroed(bg, bLen, bufs)
	bc.each(func(i, ia, ib int) {
		ga, gb := f(i, ia, ib)
		if da != nil {
			da[ia] += ga
		}
		if db != nil {
			db[ib] += gb
		}
	})
	handOver(ag, da, bufs)
	handOver(bg, db, bufs)
}

// zeroed is a zeroed buffer of n elements from bufs for g's gradient to be
// summed into, or nil when g is nil.
func zeroed(g *Grad, n int, bufs *Buffers) []float32 {
	if g == nil {
		return nil
	}
	d := bufs.get(n)
	clear(d)
	return d
}

// handOver gives g the gradient d, a buffer from bufs: adopted, or added
// and given back.
func handOver(g *Grad, d []float32, bufs *Buffers) {
	if !g.take(d) {
		bufs.put(d)
	}
}
