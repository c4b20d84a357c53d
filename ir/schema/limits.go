package schema

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
)

// The limits of stages that implement an op but not every use of it;
// Check applies them with the inferred input values.
var (
	convLimits = map[Stage]func(*Node, []Value) string{
		Executor: spatialRank(1, 2), Trainer: spatialRank(1, 2), TrainerDevice: spatialRank(1, 2), CExport: spatialRank(1, 2),
	}
	bnLimits = map[Stage]func(*Node, []Value) string{
		Executor: inferenceBN, CExport: inferenceBN,
	}
	// The trainer runs Dropout as Y = X whatever its mode (fine-tuning
	// does not drop), so the stages that run the model as written refuse
	// random dropout.
	dropoutLimits = map[Stage]func(*Node, []Value) string{
		Executor: inferenceDropout, CExport: inferenceDropout,
	}
	resizeLimits = map[Stage]func(*Node, []Value) string{
		Executor: func(n *Node, _ []Value) string {
			if n.Attrs.(*Resize).Antialias {
				return "antialiasing"
			}
			return ""
		},
	}
	castLimits = map[Stage]func(*Node, []Value) string{
		Executor: func(n *Node, in []Value) string {
			if n.Attrs.(*Cast).To == ir.String || len(in) > 0 && in[0].DType == ir.String {
				return "strings"
			}
			return ""
		},
		// The GPU trainer's float tensors live on the device, its integer
		// values (shape subgraphs) on the host: nothing converts between them.
		TrainerDevice: func(n *Node, in []Value) string {
			if (n.Attrs.(*Cast).To == ir.Float32) != (len(in) > 0 && in[0].DType == ir.Float32) {
				return "casts between float tensors and integers"
			}
			return ""
		},
	}
	concatLimits = map[Stage]func(*Node, []Value) string{
		TrainerDevice: func(_ *Node, in []Value) string {
			for _, v := range in {
				if v.DType == ir.Float32 {
					return "concatenating float tensors"
				}
			}
			return ""
		},
	}
)

// spatialRank limits an input of rank N, C, spatial... to lo..hi spatial
// dims (unknown ranks pass: the stage checks at run time).
func spatialRank(lo, hi int) func(*Node, []Value) string {
	return func(n *Node, in []Value) string {
		if r := in[0].Rank() - 2; r >= 0 && (r < lo || r > hi) {
			return map[bool]string{true: "convolutions of more than 2 spatial dims", false: "convolutions without spatial dims"}[r > hi]
		}
		return ""
	}
}

// inferenceBN refuses training mode, whether the attribute or a named
// statistics output says so: no stage computes those statistics, so a
// model naming them would only fail when run.
func inferenceBN(n *Node, _ []Value) string {
	switch a := n.Attrs.(*BatchNormalization); {
	case !a.TrainingMode:
		return ""
	case a.StatsOutput == "":
		return "training_mode=1"
	default:
		return fmt.Sprintf("training mode (output %q, running or saved statistics, is computed only in training)", a.StatsOutput)
	}
}

// inferenceDropout refuses random dropout up front: the executor would
// refuse it only when run, after a .bnn was written.
func inferenceDropout(n *Node, in []Value) string {
	if DropoutModeOf(n, in) == DropoutRandom {
		return "training mode (training_mode is true and the ratio is not 0)"
	}
	return ""
}
