package autograd

// Expand broadcasts x to shape (ONNX Expand: the two shapes broadcast both
// ways, numpy style). It is an axis map: its backward sums the gradient
// over the broadcast axes.
func (tp *Tape) Expand(x *Tensor, shape []int) (*Tensor, error) {
	bc, err := newBroadcast(x.Shape, shape)
	if err != nil {
		return nil, err
	}
	in := padShape(x.Shape, len(bc.shape))
	return tp.gatherBy(x, newAxisMap(in, bc.shape, broadcastAxes(in, bc.shape), 0), bc.shape), nil
}

// broadcastAxes maps each axis of out onto the same axis of in, or onto its
// only element where in has size 1.
func broadcastAxes(in, out []int) [][]int {
	m := identityAxes(out)
	for k := range out {
		if in[k] == 1 {
			clear(m[k])
		}
	}
	return m
}
