package autograd

// backward is the backward pass of a broadcast binary op: for each output
// element i, read from a[ia] and b[ib], f gives the gradient contributions
// to a and b, which are summed (over the broadcast elements) into fresh
// buffers and handed to ag and bg (only those that are not nil).
func (bc *broadcast) backward(ag, bg *Grad, aLen, bLen int, f func(i, ia, ib int) (ga, gb float32)) {
	var da, db []float32
	if ag != nil {
		da = make([]float32, aLen)
	}
	if bg != nil {
		db = make([]float32, bLen)
	}
	bc.each(func(i, ia, ib int) {
		ga, gb := f(i, ia, ib)
		if da != nil {
			da[ia] += ga
		}
		if db != nil {
			db[ib] += gb
		}
	})
	ag.take(da)
	bg.take(db)
}
