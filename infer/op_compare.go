package infer

import (
	"cmp"

	"github.com/bincompress/bincompress/ir"
)

// Comparisons and logic: numpy broadcasting, bool results.

func opEqual(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) { return compare(c, in, "==") }

func opLess(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) { return compare(c, in, "<") }

func opLessOrEqual(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) { return compare(c, in, "<=") }

func opGreater(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) { return compare(c, in, ">") }

func opGreaterOrEqual(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) { return compare(c, in, ">=") }

func compare(c *ctx, in []*ir.Tensor, op string) ([]*ir.Tensor, error) {
	y, err := c.alloc(ir.Bool, c.shape(0))
	if err != nil {
		return nil, err
	}
	out, shapes := y.Data.([]bool), shapesOf(in)
	switch a := in[0].Data.(type) {
	case []float32:
		compareRows(a, in[1].Data.([]float32), out, shapes, y.Shape, op)
	case []float64:
		compareRows(a, in[1].Data.([]float64), out, shapes, y.Shape, op)
	case []int8:
		compareRows(a, in[1].Data.([]int8), out, shapes, y.Shape, op)
	case []int16:
		compareRows(a, in[1].Data.([]int16), out, shapes, y.Shape, op)
	case []int32:
		compareRows(a, in[1].Data.([]int32), out, shapes, y.Shape, op)
	case []int64:
		compareRows(a, in[1].Data.([]int64), out, shapes, y.Shape, op)
	case []uint8:
		compareRows(a, in[1].Data.([]uint8), out, shapes, y.Shape, op)
	case []uint32:
		compareRows(a, in[1].Data.([]uint32), out, shapes, y.Shape, op)
	case []uint64:
		compareRows(a, in[1].Data.([]uint64), out, shapes, y.Shape, op)
	case []bool:
		if op != "==" {
			return nil, unsupported("%s on bool", op)
		}
		b := in[1].Data.([]bool)
		broadcastRows(y.Shape, shapes, func(o, n int, off, st []int) {
			for i := range n {
				out[o+i] = a[off[0]+i*st[0]] == b[off[1]+i*st[1]]
			}
		})
	default:
		return nil, unsupported("comparison of %v", in[0].DType)
	}
	return []*ir.Tensor{y}, nil
}

func compareRows[T cmp.Ordered](a, b []T, y []bool, shapes [][]int, out []int, op string) {
	f := map[string]func(x, z T) bool{
		"==": func(x, z T) bool { return x == z }, "<": func(x, z T) bool { return x < z },
		"<=": func(x, z T) bool { return x <= z }, ">": func(x, z T) bool { return x > z },
		">=": func(x, z T) bool { return x >= z },
	}[op]
	broadcastRows(out, shapes, func(o, n int, off, st []int) {
		for i := range n {
			y[o+i] = f(a[off[0]+i*st[0]], b[off[1]+i*st[1]])
		}
	})
}

func opAnd(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return logical(c, in, func(a, b bool) bool { return a && b })
}

func opOr(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return logical(c, in, func(a, b bool) bool { return a || b })
}

func opXor(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return logical(c, in, func(a, b bool) bool { return a != b })
}

func logical(c *ctx, in []*ir.Tensor, f func(a, b bool) bool) ([]*ir.Tensor, error) {
	y, err := c.alloc(ir.Bool, c.shape(0))
	if err != nil {
		return nil, err
	}
	a, b, out := in[0].Data.([]bool), in[1].Data.([]bool), y.Data.([]bool)
	broadcastRows(y.Shape, shapesOf(in), func(o, n int, off, st []int) {
		for i := range n {
			out[o+i] = f(a[off[0]+i*st[0]], b[off[1]+i*st[1]])
		}
	})
	return []*ir.Tensor{y}, nil
}

func opNot(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	y, err := c.alloc(ir.Bool, c.shape(0))
	if err != nil {
		return nil, err
	}
	out := y.Data.([]bool)
	for i, v := range in[0].Data.([]bool) {
		out[i] = !v
	}
	return []*ir.Tensor{y}, nil
}

// opWhere picks X where the condition holds and Y elsewhere, all three
// broadcast together.
func opWhere(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	if err := sameTypes(in, 1); err != nil {
		return nil, err
	}
	cond, shapes := in[0].Data.([]bool), shapesOf(in)
	out := c.shape(0)
	// Pick element offsets into X (≥ 0) or Y (encoded as -1-offset), then
	// gather from the one typed source that concatenates both.
	idx := make([]int, product(out))
	nx := in[1].Len()
	broadcastRows(out, shapes, func(o, n int, off, st []int) {
		for i := range n {
			if cond[off[0]+i*st[0]] {
				idx[o+i] = off[1] + i*st[1]
			} else {
				idx[o+i] = nx + off[2] + i*st[2]
			}
		}
	})
	both, err := concat(c, []*ir.Tensor{flat(in[1]), flat(in[2])}, []int{nx + in[2].Len()}, 0)
	if err != nil {
		return nil, err
	}
	y, err := take(c, both[0], out, idx, 0)
	c.pool.release(both[0])
	return []*ir.Tensor{y}, err
}

// flat is t viewed as a vector.
func flat(t *ir.Tensor) *ir.Tensor { return view(t, []int{t.Len()}) }
