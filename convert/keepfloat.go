package convert

import (
	"errors"
	"fmt"
	"strings"
)

// ErrKeepFloat: Options.KeepFloat names a node that is not a layer of the
// model.
var ErrKeepFloat = errors.New("no such layer to keep float")

// KeepFloatError is Options.KeepFloat naming Node, which is not a layer of
// the model; it matches ErrKeepFloat.
type KeepFloatError struct{ Node string }

func (e *KeepFloatError) Error() string {
	return fmt.Sprintf("node %q is not a Conv, Gemm or MatMul layer of the model", e.Node)
}

func (e *KeepFloatError) Unwrap() error { return ErrKeepFloat }

// KeepFloat unmarks the layers Options.KeepFloat names. A node name is kept
// float unconditionally; a name that matches no layer is an error. "first"
// and "last" (the first and last binarizable layers in graph order) are kept
// float only while the .bnn stays within Options.SizeBound times the size of
// the all-binary one (EstimateBytes; 0 means no bound): both if they fit,
// else the first alone, else the last alone, else neither; Report.Notes says
// what was left binary and why. "none" asks for nothing, and "auto" is the
// caller's (it keeps float, by name, what a sensitivity measurement chose).
func KeepFloat() Pass { return passFunc{"keep-float", runKeepFloat} }

// edge is a "first" or "last" request.
type edge struct {
	sel string
	i   int
}

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
	all, err := EstimateBytes(s.Model, s.Layers)
	if err != nil {
		return err
	}
	var edges []edge
	for _, sel := range s.Opts.KeepFloat {
		switch sel {
		case "none", "auto":
		case "first", "last":
			if i := map[string]int{"first": first, "last": last}[sel]; i >= 0 {
				edges = append(edges, edge{sel, i})
			}
		default:
			i := layerIndex(s, sel)
			if i < 0 {
				return &KeepFloatError{Node: sel}
			}
			keep(s, i, "named in --keep-float")
		}
	}
	return keepEdges(s, edges, all)
}

// keepEdges keeps float the largest choice among the requested first and
// last layers (both, the first, the last) that fits the size bound, all
// being the all-binary estimate.
func keepEdges(s *State, edges []edge, all int64) error {
	tries := [][]edge{edges}
	if len(edges) == 2 {
		tries = append(tries, edges[:1], edges[1:])
	}
	for _, try := range tries {
		if len(try) == 0 {
			return nil
		}
		trial := append(s.Layers[:0:0], s.Layers...)
		var names []string
		for _, e := range try {
			trial[e.i].Binarized = false
			names = append(names, e.sel+" ("+trial[e.i].Node+")")
		}
		size, err := EstimateBytes(s.Model, trial)
		if err != nil {
			return err
		}
		ratio := float64(size) / float64(all)
		if s.Opts.SizeBound > 0 && ratio > s.Opts.SizeBound {
			s.Notes = append(s.Notes, fmt.Sprintf("keep-float: keeping %s float would make the .bnn %.2fx the all-binary one (bound %.2fx)",
				strings.Join(names, " and "), ratio, s.Opts.SizeBound))
			continue
		}
		for _, e := range try {
			keep(s, e.i, fmt.Sprintf("%s layer kept float (--keep-float %s)", e.sel, e.sel))
		}
		if s.Opts.SizeBound > 0 {
			s.Notes = append(s.Notes, fmt.Sprintf("keep-float: %s kept float: the .bnn's tensors are %.2fx the all-binary ones (bound %.2fx)",
				strings.Join(names, " and "), ratio, s.Opts.SizeBound))
		}
		return nil
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
