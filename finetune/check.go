package finetune

import (
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// Check reports whether the trainer can train model: nil, or the op
// layer's *schema.UnsupportedOpError (stage schema.Trainer) for the first
// node it cannot run. It checks the graph the trainer runs (trainedGraph),
// so a final Softmax or LogSoftmax, which the trainer drops so that the
// loss sees logits, is not checked as trained. Commands call it (not
// schema.Check with schema.Trainer) before writing anything, with the
// element limit they run under (schema.CheckLimit; <= 0:
// schema.CheckElements).
func Check(model *ir.Model, maxElements int64) error {
	return schema.CheckLimit(trainedGraph(model), maxElements, schema.Trainer)
}
