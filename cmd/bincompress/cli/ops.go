package cli

import (
	"fmt"
	"slices"

	"github.com/bincompress/bincompress/finetune"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/simplify"
)

// importModel loads a model and its source (loadModelSized: an ONNX
// model comes back simplified, a symbolic input size fixed to size) and
// refuses it, before the command writes anything, when one of the stages
// the command runs cannot handle it: the error is one line naming op and
// node (schema.Check). Its shapes are checked with the element limit the
// command runs under (--max-elements; 0 for a command without the flag:
// schema.CheckElements). A .bnn is refused where it would be packed again;
// so is an output of f that is the model's external data.
func importModel(path string, size []int, maxElements int, f *files, stages ...schema.Stage) (*ir.Model, onnx.Source, error) {
	m, src, err := loadModelSized(path, size, f)
	if err != nil {
		return nil, src, err
	}
	if isArtifact(m) && slices.Contains(stages, schema.Pack) {
		return nil, src, fmt.Errorf("%s is already a .bnn (binarized and packed); give the float ONNX model it was made from: inspect, run, verify and export read a .bnn", path)
	}
	if err := checkStages(m, stages, int64(maxElements)); err != nil {
		return nil, src, fmt.Errorf("%s: %w", path, err)
	}
	return m, src, nil
}

// checkStages is schema.CheckLimit, except that the trainer's stage is
// checked by the trainer itself on the graph it runs (finetune.Check: a
// final Softmax or LogSoftmax is dropped, not trained).
func checkStages(m *ir.Model, stages []schema.Stage, maxElements int64) error {
	rest := make([]schema.Stage, 0, len(stages))
	for _, s := range stages {
		if s != schema.Trainer {
			rest = append(rest, s)
		}
	}
	if err := schema.CheckLimit(m, maxElements, rest...); err != nil || len(rest) == len(stages) {
		return err
	}
	return finetune.Check(m, maxElements)
}

// simplified is an imported ONNX model as every stage sees it: constant
// subgraphs folded for its declared input shapes, the batch symbolic.
func simplified(path string, m *ir.Model) (*ir.Model, error) {
	s, _, err := simplify.Model(m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// stages are the stages the main command (and finetune) will run: the
// trainer when there is data to train or calibrate on, the executor for
// verification, the packer.
func (o *CompressOptions) stages() []schema.Stage {
	st := []schema.Stage{schema.Executor, schema.Pack}
	if o.trainPath() != "" {
		st = append(st, schema.Trainer)
	}
	return st
}

// exportStage is the stage an export format runs.
func exportStage(format string) schema.Stage {
	return map[string]schema.Stage{"onnx": schema.ONNXExport, "onnx-packed": schema.PackedExport,
		"qonnx": schema.QONNXExport, "c": schema.CExport}[format]
}
