package finetune

import (
	"context"
	"fmt"
	"math"

	"github.com/bincompress/bincompress/ir"
)

// Sensitivity measures how much each layer the model's plan binarizes
// costs on its own: the held-out accuracy of the float model minus that of
// the model with only that layer binarized, after re-estimating BN over a
// quarter of cfg.BNBatches unaugmented training batches (as at an epoch's
// end). One layer at a time, with BN re-estimated, because that is what
// fine-tuning starts from and then cannot fully repair: a layer whose
// binarization alone costs much is what keeping float buys back, and the
// float reference makes the numbers comparable across layers. The method
// is the common one for choosing what stays float (NNCF's accuracy-aware
// quantization ranks layers by it); measuring all layers binary but one
// would start from accuracies near chance, where the differences drown.
//
// It returns the float model's held-out accuracy and the plan with each
// binarized record's Sensitivity set (a fraction; nothing else changes).
// Progress goes to the callback as "sensitivity" events, Batch counting
// layers (the passes within a layer's measurement report nothing).
func Sensitivity(ctx context.Context, model *ir.Model, train, held Source, cfg Config, progress func(Event)) (float64, []ir.LayerRecord, error) {
	plan, err := planOf(model)
	if err != nil {
		return 0, nil, err
	}
	if held == nil {
		return 0, nil, fmt.Errorf("finetune: sensitivity needs held-out data: %w", ErrEmptyData)
	}
	// Nothing trains, so no teacher; the batch as the run's (AutoBatch).
	cfg.Distill, cfg.Epochs = 0, 0
	mem, cfg, err := planRun(model, plan, train, cfg)
	if err != nil {
		return 0, nil, err
	}
	t, err := newTrainer(model, plan, train, held, cfg, progress)
	if err != nil {
		return 0, nil, err
	}
	defer t.freeDevice()
	// The heap is held to the run's plan, as a run's: each layer's copy of
	// the source and net are garbage when the next is made, and with no
	// limit the collector let them pile up: on a ResNet-18 at 64×64 the
	// measurement peaked at 663 MiB where the run planned 431 (and
	// --max-memory said 560). The plan counts the gradients and momentum
	// that nothing here holds; a layer's copy of the weights takes their
	// place.
	t.mem = mem
	defer t.planMemory()()
	defer collectSooner()()
	defer t.releaseMemory()
	ref, err := t.floatAccuracy(ctx)
	if err != nil {
		return 0, nil, err
	}
	// Each layer is measured on a net of its own: free the student and
	// optimizer now, so that a measurement fits where the run's batch does.
	t.freeStudentDevice()
	out := append([]ir.LayerRecord(nil), plan...)
	n := len(t.student.layers)
	for i, l := range t.student.layers {
		acc, err := t.alone(ctx, plan, l.node.Name)
		if err != nil {
			return 0, nil, err
		}
		for j := range out {
			if out[j].Node == l.node.Name {
				s := ref - acc
				out[j].Sensitivity = &s
			}
		}
		t.emit(Event{Phase: "sensitivity", Layer: l.node.Name, Batch: i + 1, Batches: n, ValAcc: acc, TrainAcc: math.NaN()})
	}
	return ref, out, nil
}

// alone is the held-out accuracy with only node binarized and BN
// re-estimated, on a copy of the source model.
func (t *trainer) alone(ctx context.Context, plan []ir.LayerRecord, node string) (float64, error) {
	one := append([]ir.LayerRecord(nil), plan...)
	for i := range one {
		one[i].Binarized = one[i].Binarized && one[i].Node == node
	}
	m := t.source.Clone()
	untie(m.Graph)
	n, err := compile(m, one)
	if err != nil {
		return 0, err
	}
	if t.be != nil {
		n.toDevice(t.be)
		defer n.freeDevice()
	}
	student, progress := t.student, t.progress
	t.student, t.progress = n, nil // its passes are one step of the "sensitivity" phase
	defer func() { t.student, t.progress = student, progress }()
	if err := t.reestimate(ctx, -1, t.cfg.quickBN()); err != nil { // the batches a run starts with
		return 0, err
	}
	return t.evaluate(ctx)
}
