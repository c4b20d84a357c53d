package schema

import (
	"errors"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

// TestNewTypesRefused: the element types opsets 19 and 21 added (float8,
// 4-bit ints) are refused by name, as a Cast target and as a graph
// input's type, with ErrUnsupported; new ops without an entry (Col2Im,
// GroupNormalization) are an *UnsupportedOpError naming op and opset.
func TestNewTypesRefused(t *testing.T) {
	names := map[int64]string{17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4"}
	for to, name := range names {
		n := &ir.Node{Name: "c", OpType: "Cast", Inputs: []string{"x"}, Outputs: []string{"y"},
			Attrs: []*ir.Attr{{Name: "to", Type: ir.AttrInt, I: to}}}
		_, err := Bind(n, 21, `"c"`)
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), name) {
			t.Errorf("Cast to %d: got %v, want ErrUnsupported naming %s", to, err, name)
		}
		m := flattenModel()
		m.Graph.Inputs[0].DType = ir.DType(to)
		if err := Check(m, Executor); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), name) {
			t.Errorf("a %s graph input: got %v, want ErrUnsupported naming it", name, err)
		}
	}
	for _, op := range []string{"Col2Im", "GroupNormalization", "CenterCropPad"} {
		m := flattenModel()
		m.OpsetImports[0].Version = 21
		m.Graph.Nodes[0].OpType = op
		var u *UnsupportedOpError
		if err := Check(m, Executor); !errors.As(err, &u) || u.Op != op || u.Opset != 21 {
			t.Errorf("%s: got %v, want an UnsupportedOpError naming it at opset 21", op, err)
		}
	}
}
