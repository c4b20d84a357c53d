package kernels

// Epilogue is work a convolution does on its output after the bias, one
// output row at a time while the row is still in cache, instead of in
// separate passes over the whole tensor: first y += Add (a tensor laid out
// like y) when Add is not nil, then y = max(y, 0) when ReLU. Each element
// is rounded exactly as the separate passes would round it, so the result
// is bit-identical to running them afterwards.
type Epilogue struct {
	Add  []float32
	ReLU bool
}

// none reports whether the epilogue does nothing.
func (e Epilogue) none() bool { return e.Add == nil && !e.ReLU }

// apply runs the epilogue on y, the output elements starting at offset off.
func (e Epilogue) apply(y []float32, off int) {
	if epilogueRowFast(e, y, off) {
		return
	}
	if e.Add != nil {
		add := e.Add[off : off+len(y)]
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

// check panics unless Add, when set, holds n elements.
func (e Epilogue) check(what string, n int) {
	if e.Add != nil && len(e.Add) < n {
		panic("kernels: " + what + ": Epilogue.Add shorter than y")
	}
}
