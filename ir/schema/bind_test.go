package schema

import (
	"errors"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

func ints(name string, v ...int64) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrInts, Ints: v} }
func intAttr(name string, v int64) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrInt, I: v} }

// TestBindStrict: a wrong attribute type, an unknown attribute, a missing
// required one, a bad value and a wrong arity are errors naming node and
// attribute; an unknown op is an *UnsupportedOpError without a stage.
func TestBindStrict(t *testing.T) {
	conv := func(attrs ...*ir.Attr) *ir.Node {
		return &ir.Node{Name: "c1", OpType: "Conv", Inputs: []string{"x", "w"}, Outputs: []string{"y"}, Attrs: attrs}
	}
	cases := []struct {
		node  *ir.Node
		opset int64
		want  []string
	}{
		{conv(intAttr("strides", 2)), 13, []string{`"c1" (Conv)`, "attribute strides", "is INT, want INTS"}},
		{conv(ints("group", 2)), 13, []string{"attribute group", "is INTS, want INT"}},
		{conv(intAttr("bogus", 1)), 13, []string{"attribute bogus", "not an attribute of Conv"}},
		{conv(intAttr("group", 0)), 13, []string{"attribute group", "group 0"}},
		{conv(ints("pads", 1, -1, 1, 1)), 13, []string{"attribute pads", "out of range"}},
		{conv(&ir.Attr{Name: "auto_pad", Type: ir.AttrString, S: []byte("SAME")}), 13, []string{"attribute auto_pad", `"SAME"`}},
		{&ir.Node{Name: "p", OpType: "MaxPool", Inputs: []string{"x"}, Outputs: []string{"y"}}, 13, []string{"kernel_shape", "required"}},
		{&ir.Node{Name: "p", OpType: "MaxPool", Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: []*ir.Attr{ints("kernel_shape", 2, 2), intAttr("ceil_mode", 1)}}, 9,
			[]string{"ceil_mode", "not an attribute of MaxPool at opset 9"}},
		{&ir.Node{Name: "a", OpType: "Add", Inputs: []string{"x"}, Outputs: []string{"y"}}, 13, []string{`"a" (Add)`, "has 1 inputs, want 2"}},
		{&ir.Node{Name: "r", OpType: "Relu", Inputs: []string{""}, Outputs: []string{"y"}}, 13, []string{"required input 0 is empty"}},
	}
	for _, c := range cases {
		_, err := Bind(c.node, c.opset, Label(c.node, 0))
		if err == nil {
			t.Errorf("%v: no error, want %q", c.want, c.want)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
	}
	_, err := Bind(&ir.Node{OpType: "Frobnicate", Outputs: []string{"y"}}, 13, "#4")
	var u *UnsupportedOpError
	if !errors.As(err, &u) || u.Op != "Frobnicate" || u.Node != "#4" || u.Stage != "" || !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown op: %v", err)
	}
	_, err = Bind(&ir.Node{OpType: "HardSwish", Inputs: []string{"x"}, Outputs: []string{"y"}}, 13, "#0")
	if !errors.As(err, &u) || u.Opset != 13 {
		t.Errorf("HardSwish at opset 13 (it exists from 14): %v", err)
	}
	b, err := Bind(conv(ints("strides", 2, 2), intAttr("group", 1)), 13, "c1")
	if err != nil {
		t.Fatal(err)
	}
	a, err := As[Conv](b)
	if err != nil || a.Group != 1 || a.Strides[1] != 2 || a.AutoPad != "NOTSET" {
		t.Errorf("attrs %+v, %v", a, err)
	}
	if _, err := As[Gemm](b); err == nil {
		t.Error("As[Gemm] on a Conv succeeded")
	}
}
