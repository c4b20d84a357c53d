package infer

import (
	"slices"
	"testing"

	"github.com/bincompress/bincompress/ir/schema"
)

// TestExecutorTable holds the executor's op tables to the op layer's list
// of the ops the executor implements, in both directions, so that
// schema.Check and docs/OPERATORS.md say what Compile accepts.
func TestExecutorTable(t *testing.T) {
	var have []string
	for d, ops := range domains {
		for op := range ops {
			have = append(have, schema.QualifiedName(d, op))
		}
	}
	slices.Sort(have)
	want := schema.StageOps(schema.Executor)
	for _, op := range have {
		if !slices.Contains(want, op) {
			t.Errorf("the executor implements %s, but the op layer does not list it for the executor", op)
		}
	}
	for _, op := range want {
		if !slices.Contains(have, op) {
			t.Errorf("the op layer lists %s for the executor, which has no implementation", op)
		}
	}
}
