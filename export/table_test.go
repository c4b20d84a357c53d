package export

import (
	"slices"
	"testing"

	"github.com/bincompress/bincompress/ir/schema"
)

// TestCTable holds the C target's op table to the op layer's list of the
// ops the C export implements, in both directions.
func TestCTable(t *testing.T) {
	var have []string
	for d, ops := range cOps {
		for op := range ops {
			have = append(have, schema.QualifiedName(d, op))
		}
	}
	slices.Sort(have)
	want := schema.StageOps(schema.CExport)
	for _, op := range have {
		if !slices.Contains(want, op) {
			t.Errorf("the C export implements %s, but the op layer does not list it for the C export", op)
		}
	}
	for _, op := range want {
		if !slices.Contains(have, op) {
			t.Errorf("the op layer lists %s for the C export, which has no C code", op)
		}
	}
}
