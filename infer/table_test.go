package infer

import (
	"testing"

	"github.com/bincompress/bincompress/ir/schema"
)

// TestExecutorTable holds the executor's op tables to the op layer's list
// of the ops the executor implements, in both directions, so that
// schema.Check and docs/OPERATORS.md say what Compile accepts.
func TestExecutorTable(t *testing.T) {
	if err := schema.CompareTable(schema.Executor, schema.TableNames(domains)); err != nil {
		t.Error(err)
	}
}
