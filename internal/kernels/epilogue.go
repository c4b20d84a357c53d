package kernels

// Epilogue is work a convolution does on its output after the bias, one
// output row at a time while the row is still in cache, instead of in
// separate passes over the whole tensor: first y += Add (a tensor laid out
// like y) when Add is not nil, then y = max(y, 0) when ReLU. Each element
// is rounded exactly as the separate passes would round it, so the result
// is bit-identical to running them afterwards.
//
// Moments, when set (Conv2DEpilogue only), receives the shifted sums of
// each output plane after the rest of the epilogue, Moments[n·K+k] for
// image n and output channel k: what a BatchNormalization reading y needs
// for its batch statistics, taken as each plane is written, while it is in
// cache.
type Epilogue struct {
	Add     []float32
	ReLU    bool
	Moments []PlaneMoments
}

// PlaneMoments are the sums of one plane p (one image's channel) around its
// first element: Shift = p[0], S = Σ(p − Shift), SS = Σ(p − Shift)², in
// float64 with ShiftedMoments' fixed order; N is len(p).
type PlaneMoments struct {
	Shift, S, SS float64
	N            int
}

// planeMoments returns the moments of one plane.
func planeMoments(p []float32) PlaneMoments {
	if len(p) == 0 {
		return PlaneMoments{}
	}
	shift := float64(p[0])
	s, ss := ShiftedMoments(p, 1, len(p), 0, shift)
	return PlaneMoments{Shift: shift, S: s, SS: ss, N: len(p)}
}

// CombineMoments is the mean and biased variance of the union of count
// planes whose moments are ms[i·stride] (the exact sum of squares about the
// mean, Σ SS + 2(Shift − μ)·S + N(Shift − μ)², in float64; 0, 0 when
// empty). With the [n·K+k] layout of Epilogue.Moments, channel k's planes
// are ms[k:] at stride K.
func CombineMoments(ms []PlaneMoments, count, stride int) (mean, variance float64) {
	var total, sum float64
	for i := range count {
		m := ms[i*stride]
		total += float64(m.N)
		sum += m.Shift*float64(m.N) + m.S
	}
	if total == 0 {
		return 0, 0
	}
	mean = sum / total
	var sq float64
	for i := range count {
		m := ms[i*stride]
		d := m.Shift - mean
		sq += m.SS + 2*d*m.S + float64(m.N)*d*d
	}
	return mean, max(sq/total, 0)
}

// none reports whether the epilogue changes nothing in y.
func (e Epilogue) none() bool { return e.Add == nil && !e.ReLU }

// apply runs the epilogue on y, the output elements starting at offset off.
func (e Epilogue) apply(y []float32, off int) {
	done := epilogueRowFast(e, y, off)
	y = y[done:]
	if e.Add != nil {
		add := e.Add[off+done : off+done+len(y)]
		for i, v := range add {
			y[i] += v
		}
	}
	if e.ReLU {
		for i, v := range y {
			y[i] = max(v, 0)
		}
	}
}

// check panics unless Add, when set, holds n elements and Moments, when
// set, planes (planes < 0: the caller takes no Moments).
func (e Epilogue) check(what string, n, planes int) {
	if e.Add != nil && len(e.Add) < n {
		panic("kernels: " + what + ": Epilogue.Add shorter than y")
	}
	if e.Moments != nil && len(e.Moments) < planes {
		panic("kernels: " + what + ": Epilogue.Moments shorter than N·K, or not taken")
	}
}

// fillMoments sets moments[i] for each plane i of y (planes of n elements).
func fillMoments(moments []PlaneMoments, y []float32, n int) {
	if n == 0 {
		clear(moments)
		return
	}
	forTasks(len(y)/n, float64(len(y)), func(i, _ int) { moments[i] = planeMoments(y[i*n : (i+1)*n]) })
}
