package infer

import "github.com/bincompress/bincompress/ir"

// FreshFloats runs p and reports how many float32 elements its buffer pool
// had to allocate (the rest were recycled).
func FreshFloats(p *Program, inputs map[string]*ir.Tensor) (int, error) {
	vals, err := p.bind(inputs)
	if err != nil {
		return 0, err
	}
	pl := newPool()
	_, err = p.run(vals, pl)
	return pl.made, err
}
