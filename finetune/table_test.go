package finetune

import (
	"slices"
	"testing"

	"github.com/bincompress/bincompress/ir/schema"
)

// TestTrainerTable holds the trainer's handler table to the op layer's
// list of the ops the trainer implements, in both directions.
func TestTrainerTable(t *testing.T) {
	var have []string
	for op := range handlers {
		have = append(have, op)
	}
	slices.Sort(have)
	want := schema.StageOps(schema.Trainer)
	for _, op := range have {
		if !slices.Contains(want, op) {
			t.Errorf("the trainer handles %s, but the op layer does not list it for the trainer", op)
		}
	}
	for _, op := range want {
		if !slices.Contains(have, op) {
			t.Errorf("the op layer lists %s for the trainer, which has no handler", op)
		}
	}
}
