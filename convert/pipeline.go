package convert

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bincompress/bincompress/ir"
)

// ErrNothingToBinarize is returned when no layer is left to binarize and
// Options.AllowEmpty is false.
var ErrNothingToBinarize = errors.New("no binarizable layer")

// Pass is one step of the conversion.
type Pass interface {
	Name() string
	Run(s *State) error
}

// State is what the passes share: the model they rewrite, the options and
// one record per binarizable layer in graph order.
type State struct {
	Model  *ir.Model
	Opts   Options
	Layers []ir.LayerRecord
	Notes  []string // decisions a user should hear about
}

// Pipeline is an ordered list of passes.
type Pipeline []Pass

// DefaultPipeline binarizes: select, keep-float, require, binarize,
// fold-bn, record.
func DefaultPipeline() Pipeline {
	return Pipeline{Select(), KeepFloat(), Require(), BinarizeWeights(), FoldBatchNorm(), Record()}
}

// PlanPipeline decides which layers to binarize and records it without
// changing any weight: select, keep-float, require, record.
func PlanPipeline() Pipeline {
	return Pipeline{Select(), KeepFloat(), Require(), Record()}
}

// FinishPipeline completes a planned conversion after the latent weights
// were trained or BN statistics re-estimated: load, binarize, fold-bn,
// record.
func FinishPipeline() Pipeline {
	return Pipeline{Load(), BinarizeWeights(), FoldBatchNorm(), Record()}
}

// Run applies the passes in order to m (in place) and returns the report.
func (p Pipeline) Run(m *ir.Model, opts Options) (*Report, error) {
	if m == nil || m.Graph == nil {
		return nil, errors.New("convert: model has no graph")
	}
	mode, err := opts.scale()
	if err != nil {
		return nil, err
	}
	opts.Scale = mode
	s := &State{Model: m, Opts: opts}
	for _, pass := range p {
		if err := pass.Run(s); err != nil {
			return nil, fmt.Errorf("convert: pass %s: %w", pass.Name(), err)
		}
	}
	return &Report{Scale: mode, Layers: s.Layers, Notes: s.Notes}, nil
}

// Binarize runs DefaultPipeline on m in place.
func Binarize(m *ir.Model, opts Options) (*Report, error) {
	return DefaultPipeline().Run(m, opts)
}

// Report is the outcome of a conversion.
type Report struct {
	Scale  ir.ScaleMode
	Layers []ir.LayerRecord
	Notes  []string
}

// Binarized counts the binarized layers.
func (r *Report) Binarized() int {
	n := 0
	for _, l := range r.Layers {
		if l.Binarized {
			n++
		}
	}
	return n
}

// passFunc adapts a function to Pass.
type passFunc struct {
	name string
	run  func(*State) error
}

func (p passFunc) Name() string       { return p.name }
func (p passFunc) Run(s *State) error { return p.run(s) }

// Record stores the layer records in the model's metadata (ir.LayersKey).
func Record() Pass {
	return passFunc{"record", func(s *State) error { return s.Model.SetLayerRecords(s.Layers) }}
}

// Load reads the layer records an earlier run stored in the model
// (ir.LayersKey), so that a pipeline can resume where PlanPipeline stopped.
func Load() Pass {
	return passFunc{"load", func(s *State) error {
		recs, err := s.Model.LayerRecords()
		if err != nil {
			return err
		}
		if recs == nil {
			return fmt.Errorf("the model has no %s metadata: run PlanPipeline first", ir.LayersKey)
		}
		s.Layers = recs
		return nil
	}}
}

// Require fails with ErrNothingToBinarize when no layer is marked for
// binarization, unless Options.AllowEmpty.
func Require() Pass {
	return passFunc{"require", func(s *State) error {
		if s.Opts.AllowEmpty {
			return nil
		}
		for _, l := range s.Layers {
			if l.Binarized {
				return nil
			}
		}
		if len(s.Layers) == 0 {
			return fmt.Errorf("%w: the model has no Conv, Gemm or MatMul layer (--allow-empty accepts this)", ErrNothingToBinarize)
		}
		return fmt.Errorf("%w: %d candidate layers, none left to binarize: %s (--allow-empty accepts this)", ErrNothingToBinarize, len(s.Layers), floatReasons(s.Layers))
	}}
}

// shownReasons is how many layers' reasons an error lists.
const shownReasons = 3

// floatReasons says why the first layers stay float, and how many more do:
// the error is all a failed command prints, there is no report to look in.
func floatReasons(layers []ir.LayerRecord) string {
	var parts []string
	for _, l := range layers[:min(len(layers), shownReasons)] {
		parts = append(parts, fmt.Sprintf("%q: %s", l.Node, l.Reason))
	}
	if n := len(layers) - shownReasons; n > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", n))
	}
	return strings.Join(parts, "; ")
}
