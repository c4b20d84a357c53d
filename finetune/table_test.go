package finetune

import (
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
	if err := schema.CompareTable(schema.Trainer, have); err != nil {
		t.Error(err)
	}
}
