package schema

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/ir"
)

// none parses an op without attributes.
func none(r *reader) any { return nil }

// Alpha is the attribute of LeakyRelu (default 0.01), Elu, Celu and
// ThresholdedRelu (default 1).
type Alpha struct{ Alpha float32 }

func parseAlpha(def float32) func(r *reader) any {
	return func(r *reader) any { return &Alpha{Alpha: r.float("alpha", def)} }
}

// Selu's attributes (opsets 6-21).
type Selu struct {
	Alpha float32 // default 1.67326319217681884765625
	Gamma float32 // default 1.05070102214813232421875
}

func parseSelu(r *reader) any {
	return &Selu{Alpha: r.float("alpha", 1.67326319217681884765625), Gamma: r.float("gamma", 1.05070102214813232421875)}
}

// HardSigmoid's attributes (opsets 6-21): y = max(0, min(1, alpha·x + beta)).
type HardSigmoid struct {
	Alpha float32 // default 0.2
	Beta  float32 // default 0.5
}

func parseHardSigmoid(r *reader) any {
	return &HardSigmoid{Alpha: r.float("alpha", 0.2), Beta: r.float("beta", 0.5)}
}

// Gelu's attributes (opset 20-21).
type Gelu struct {
	Approximate string // "none" (default: the exact erf form) or "tanh"
}

func parseGelu(r *reader) any {
	return &Gelu{Approximate: r.enum("approximate", "none", "none", "tanh")}
}

// Clip's attributes (opsets 6-10; from 11 the bounds are inputs).
type Clip struct {
	Min, Max float32 // defaults ∓3.4028234663852886e+38 (∓FLT_MAX)
}

func parseClip(r *reader) any {
	if r.opset >= 11 {
		return &Clip{Min: float32(math.Inf(-1)), Max: float32(math.Inf(1))}
	}
	return &Clip{Min: r.float("min", -math.MaxFloat32), Max: r.float("max", math.MaxFloat32)}
}

// Arith is the attributes of Add, Sub, Mul, Div and Pow: before opset 7, B
// may be broadcast onto A at Axis when Broadcast is set; from 7 numpy
// broadcasting applies and there are none.
type Arith struct {
	Broadcast bool   // opset 6, default 0
	Axis      *int64 // opset 6, optional: where B's dims align in A
}

func parseArith(r *reader) any {
	a := &Arith{}
	if r.opset < 7 {
		a.Axis = r.optInt("axis")
		a.Broadcast = r.bool("broadcast", false)
	}
	return a
}

// Cast's attributes (opsets 6-21).
type Cast struct {
	To       ir.DType // required
	Saturate bool     // opset 19+, default 1 (float8 only)
}

func parseCast(r *reader) any {
	a := &Cast{To: ir.DType(r.reqInt("to")), Saturate: true}
	if r.opset >= 19 {
		a.Saturate = r.bool("saturate", true)
	}
	if r.spec == nil && r.err == nil && (!a.To.Supported() || a.To == ir.Undefined) {
		r.unsupportedf("to", "element type %v", a.To)
	}
	return a
}

// inferUnary: Y has X's type and shape.
func inferUnary(c *call) ([]Value, error) { return c.same() }

// inferFloatUnary is inferUnary for ops defined on floats only.
func inferFloatUnary(c *call) ([]Value, error) {
	if !isFloat(c.dtype(0)) {
		return nil, fmt.Errorf("input is %v, want a float type", c.dtype(0))
	}
	return c.same()
}

// inferBroadcast: numpy broadcasting of every present input, all of one
// type; the result has that type (or bool for comparisons).
func inferBroadcast(outType ir.DType) func(c *call) ([]Value, error) {
	return func(c *call) ([]Value, error) {
		shape, err := c.broadcastAll(0)
		if err != nil {
			return nil, err
		}
		dt := outType
		if dt == ir.Undefined {
			dt = c.dtype(0)
		}
		return one(dt, shape)
	}
}

// broadcastAll broadcasts the inputs from first on, checking they share
// one element type.
func (c *call) broadcastAll(first int) ([]ir.Dim, error) {
	shape := c.shape(first)
	for i := first + 1; i < len(c.in); i++ {
		if !c.has(i) {
			return nil, fmt.Errorf("input %d is empty", i)
		}
		if c.dtype(i) != c.dtype(first) {
			return nil, fmt.Errorf("input types differ: %v and %v", c.dtype(first), c.dtype(i))
		}
		var err error
		if shape, err = broadcastDims(shape, c.shape(i)); err != nil {
			return nil, err
		}
	}
	return clone(shape), nil
}

// inferArith is Add, Sub, Mul and Div: legacy broadcasting before opset 7,
// numpy's after; on small integer vectors the contents follow (shape
// arithmetic).
func inferArith(op byte) func(c *call) ([]Value, error) {
	return func(c *call) ([]Value, error) {
		a := c.Attrs.(*Arith)
		if c.Opset < 7 {
			return inferLegacyArith(c, a)
		}
		out, err := inferBroadcast(ir.Undefined)(c)
		if err != nil {
			return nil, err
		}
		if x, ok := c.x(0).content(); ok && isInt(c.dtype(0)) {
			if y, ok := c.x(1).content(); ok {
				out[0] = arithContent(op, x, y, out[0])
			}
		}
		return out, nil
	}
}

// inferLegacyArith: without broadcast B has A's shape; with it B's dims
// sit at axis of A (default: aligned to the end).
func inferLegacyArith(c *call, a *Arith) ([]Value, error) {
	as, bs := c.shape(0), c.shape(1)
	if c.dtype(0) != c.dtype(1) {
		return nil, fmt.Errorf("input types differ: %v and %v", c.dtype(0), c.dtype(1))
	}
	if !a.Broadcast {
		if _, err := broadcastDims(as, bs); err != nil || len(as) != len(bs) {
			return nil, fmt.Errorf("shapes %s and %s differ and broadcast is 0", ir.FormatDims(as), ir.FormatDims(bs))
		}
		return c.same()
	}
	ax := int64(len(as) - len(bs))
	if a.Axis != nil {
		ax = *a.Axis
	}
	if ax < 0 {
		ax += int64(len(as))
	}
	if ax < 0 || int(ax)+len(bs) > len(as) {
		return nil, fmt.Errorf("cannot broadcast %s onto %s at axis %d", ir.FormatDims(bs), ir.FormatDims(as), ax)
	}
	for i, d := range bs {
		if !(d.Known() && d.Size == 1) && !compatible(d, as[int(ax)+i]) {
			return nil, fmt.Errorf("cannot broadcast %s onto %s at axis %d", ir.FormatDims(bs), ir.FormatDims(as), ax)
		}
	}
	return c.same()
}

// arithContent applies op to two vectors of dims, element by element with
// broadcasting, keeping what stays known or symbolic (x·1, x+0, x/1).
func arithContent(op byte, x, y []ir.Dim, out Value) Value {
	n := max(len(x), len(y))
	if len(x) != n && len(x) != 1 || len(y) != n && len(y) != 1 {
		return out
	}
	d := make([]ir.Dim, n)
	for i := range d {
		a, b := x[min(i, len(x)-1)], y[min(i, len(y)-1)]
		d[i] = dimArith(op, a, b)
	}
	return withContent(out, d)
}

func dimArith(op byte, a, b ir.Dim) ir.Dim {
	if elemKnown(a) && elemKnown(b) {
		switch op {
		case '+':
			return known(a.Size + b.Size)
		case '-':
			return known(a.Size - b.Size)
		case '*':
			return known(a.Size * b.Size)
		case '/':
			if b.Size != 0 {
				return known(a.Size / b.Size)
			}
		}
		return unknownElem
	}
	switch {
	case (op == '+' || op == '-') && elemKnown(b) && b.Size == 0, (op == '*' || op == '/') && elemKnown(b) && b.Size == 1:
		return a
	case op == '+' && elemKnown(a) && a.Size == 0, op == '*' && elemKnown(a) && a.Size == 1:
		return b
	}
	return unknownElem
}

// inferPow: the result has the base's type; the exponent may differ
// (from opset 12). Before opset 7 the exponent broadcasts as Add's B.
func inferPow(c *call) ([]Value, error) {
	if c.Opset < 7 {
		return inferLegacyArith(c, c.Attrs.(*Arith))
	}
	shape, err := broadcastDims(c.shape(0), c.shape(1))
	if err != nil {
		return nil, err
	}
	return one(c.dtype(0), shape)
}

// inferPRelu: the slope broadcasts to X (unidirectionally); at opset 6 it
// is one value or one per channel (axis 1), see PReluSlopeShape.
func inferPRelu(c *call) ([]Value, error) {
	if c.dtype(1) != c.dtype(0) {
		return nil, fmt.Errorf("slope is %v, input %v", c.dtype(1), c.dtype(0))
	}
	if c.Opset < 7 {
		n, ok := Ints(c.shape(1))
		if x := c.shape(0); ok && len(x) > 1 && ir.NumElements(n) != 1 && !compatible(x[1], known(int64(ir.NumElements(n)))) {
			return nil, fmt.Errorf("slope %s is neither one value nor one per channel of %s", ir.FormatDims(c.shape(1)), ir.FormatDims(x))
		}
		return c.same()
	}
	if s, err := broadcastDims(c.shape(0), c.shape(1)); err != nil || len(s) != len(c.shape(0)) {
		return nil, fmt.Errorf("slope %s does not broadcast to the input %s", ir.FormatDims(c.shape(1)), ir.FormatDims(c.shape(0)))
	}
	return c.same()
}

// inferWhere: condition (bool), X and Y broadcast together; the result
// has X's type.
func inferWhere(c *call) ([]Value, error) {
	if c.dtype(0) != ir.Bool {
		return nil, fmt.Errorf("condition is %v, want bool", c.dtype(0))
	}
	xy, err := c.broadcastAll(1)
	if err != nil {
		return nil, err
	}
	shape, err := broadcastDims(c.shape(0), xy)
	if err != nil {
		return nil, err
	}
	return one(c.dtype(1), shape)
}

// inferLogical: bool inputs, bool result.
func inferLogical(c *call) ([]Value, error) {
	for i := range c.in {
		if c.dtype(i) != ir.Bool {
			return nil, fmt.Errorf("input %d is %v, want bool", i, c.dtype(i))
		}
	}
	return inferBroadcast(ir.Bool)(c)
}

// inferCast: X's shape in the target type; integer contents stay known.
func inferCast(c *call) ([]Value, error) {
	to := c.Attrs.(*Cast).To
	out := Value{DType: to, Shape: clone(c.shape(0))}
	if d, ok := c.x(0).content(); ok && isInt(to) && isInt(c.dtype(0)) && c.x(0).Dims != nil {
		out = withContent(out, d) // symbolic contents; constant ones fold by evaluation
	}
	return []Value{out}, nil
}

// PReluSlopeShape is the shape a PRelu slope of n elements broadcasts
// with against an input of the given rank: at opset 6 a slope of one per
// channel runs along axis 1; from opset 7 numpy's broadcasting applies to
// the slope as it is (nil).
func PReluSlopeShape(opset int64, n, rank int) []int {
	if opset >= 7 || n == 1 || rank < 2 {
		return nil
	}
	shape := make([]int, rank-1)
	for i := range shape {
		shape[i] = 1
	}
	shape[0] = n
	return shape
}
