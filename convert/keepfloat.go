package convert

import (
	"errors"
	"fmt"
)

// ErrKeepFloat: Options.KeepFloat names a node that is not a layer of the
// model.
var ErrKeepFloat = errors.New("no such layer to keep float")

// KeepFloat unmarks the layers Options.KeepFloat names: "first" and "last"
// are the first and last layers marked for binarization in graph order,
// anything else is a node name. A name that matches no layer is an error.
func KeepFloat() Pass { return passFunc{"keep-float", runKeepFloat} }

func runKeepFloat(s *State) error {
	first, last := -1, -1
	for i, l := range s.Layers {
		if l.Binarized {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	for _, sel := range s.Opts.KeepFloat {
		switch sel {
		case "first", "last":
			i := first
			if sel == "last" {
				i = last
			}
			if i >= 0 {
				keep(s, i, fmt.Sprintf("%s layer kept float (--keep-float %s)", sel, sel))
			}
		default:
			i := layerIndex(s, sel)
			if i < 0 {
				return fmt.Errorf("keep-float: node %q is not a Conv, Gemm or MatMul layer of the model: %w", sel, ErrKeepFloat)
			}
			keep(s, i, "named in --keep-float")
		}
	}
	return nil
}

func keep(s *State, i int, why string) {
	l := &s.Layers[i]
	if !l.Binarized {
		return // keep the first reason (it may be a structural one)
	}
	l.Binarized, l.Scale, l.Reason = false, "", why
}

func layerIndex(s *State, node string) int {
	for i, l := range s.Layers {
		if l.Node == node {
			return i
		}
	}
	return -1
}
