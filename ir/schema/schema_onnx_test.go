package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"sort"
	"strconv"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

// onnxSchemas is ONNX's own operator schemas (python3-onnx 1.12, opsets up
// to 17), dumped by testdata/scripts/dump_onnx_schemas.py.
type onnxSchemas struct {
	Opset int `json:"onnx"`
	Ops   map[string]map[string]struct {
		Inputs     [2]int `json:"inputs"`
		Outputs    [2]int `json:"outputs"`
		Attributes map[string]struct {
			Type     string `json:"type"`
			Required bool   `json:"required"`
			Default  any    `json:"default"`
		} `json:"attributes"`
	} `json:"ops"`
}

var attrTypes = map[string]ir.AttrType{"float": ir.AttrFloat, "int": ir.AttrInt, "string": ir.AttrString,
	"tensor": ir.AttrTensor, "graph": ir.AttrGraph, "floats": ir.AttrFloats, "ints": ir.AttrInts,
	"strings": ir.AttrStrings, "tensors": ir.AttrTensors, "graphs": ir.AttrGraphs, "sparse_tensor": attrSparseTensor}

// TestAgainstONNXSchemas holds every ai.onnx op's arity and attributes
// (names, types, required, defaults) at every opset it covers up to 17 to
// ONNX's own operator schemas.
func TestAgainstONNXSchemas(t *testing.T) {
	data, err := os.ReadFile("testdata/onnx_schemas.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref onnxSchemas
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, op := range Ops() {
		if op.Domain != "" {
			continue
		}
		versions := ref.Ops[op.Type]
		for v := op.Since; v <= min(op.Until, int64(ref.Opset)); v++ {
			key := sinceVersion(versions, v)
			if key == "" {
				continue // the op is newer than the reference (e.g. Gelu, Mish)
			}
			want := versions[key]
			checked++
			ctx := fmt.Sprintf("%s at opset %d (ONNX's version %s)", op.Type, v, key)
			checkArityAgainst(t, ctx+" inputs", op.In.At(v), want.Inputs)
			checkArityAgainst(t, ctx+" outputs", op.Out.At(v), want.Outputs)
			got := map[string]AttrSpec{}
			for _, s := range op.Spec(v) {
				got[s.Name] = s
			}
			for name, w := range want.Attributes {
				g, ok := got[name]
				if !ok {
					t.Errorf("%s: attribute %s is not read", ctx, name)
					continue
				}
				if g.Type != attrTypes[w.Type] || g.Required != w.Required || !sameDefault(g.Default, w.Default) {
					t.Errorf("%s: attribute %s is %v required=%v default %v, ONNX says %s required=%v default %v",
						ctx, name, attrTypeName(g.Type), g.Required, g.Default, w.Type, w.Required, w.Default)
				}
				delete(got, name)
			}
			for name := range got {
				t.Errorf("%s: reads attribute %s, which ONNX does not define", ctx, name)
			}
		}
	}
	if checked < 100 {
		t.Fatalf("checked only %d op versions", checked)
	}
}

// sinceVersion is the key of the newest version at or before opset.
func sinceVersion[T any](versions map[string]T, opset int64) string {
	best, key := int64(0), ""
	for k := range versions {
		n, _ := strconv.ParseInt(k, 10, 64)
		if n <= opset && n > best {
			best, key = n, k
		}
	}
	return key
}

func checkArityAgainst(t *testing.T, ctx string, got Arity, want [2]int) {
	t.Helper()
	max := got.Max
	if want[1] == math.MaxInt32 {
		want[1] = Variadic
	}
	if got.Min != want[0] || max != want[1] {
		t.Errorf("%s: %d to %d, ONNX says %d to %d", ctx, got.Min, got.Max, want[0], want[1])
	}
}

func sameDefault(got, want any) bool {
	switch w := want.(type) {
	case nil:
		return got == nil
	case float64:
		switch g := got.(type) {
		case float32:
			return g == float32(w)
		case int64:
			return float64(g) == w
		}
	case string:
		return got == w
	case []any:
		g := reflect.ValueOf(got)
		if g.Kind() != reflect.Slice || g.Len() != len(w) {
			return false
		}
		for i := range w {
			if fmt.Sprint(g.Index(i).Interface()) != fmt.Sprint(w[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// TestSpecDeterministic: Spec lists attributes sorted by name.
func TestSpecDeterministic(t *testing.T) {
	s := Lookup("", "Conv").Spec(13)
	if !sort.SliceIsSorted(s, func(i, j int) bool { return s[i].Name < s[j].Name }) || len(s) != 6 {
		t.Fatalf("Conv spec %v", s)
	}
}
