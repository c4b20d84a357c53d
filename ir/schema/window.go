package schema

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
)

// Window holds the window attributes shared by Conv, the pools and
// BinaryConv. Nil lists take ONNX's defaults when resolved.
type Window struct {
	AutoPad     string  // NOTSET (default), SAME_UPPER, SAME_LOWER or VALID
	KernelShape []int64 // nil: Conv takes it from the weight; the pools require it
	Strides     []int64 // nil: 1 along each spatial axis
	Dilations   []int64 // nil: 1 along each spatial axis
	Pads        []int64 // nil: 0; the begins of every axis, then the ends
}

// readWindow reads the window attributes; dilations exist only for some
// ops and opsets.
func readWindow(r *reader, kernelRequired, dilations bool) Window {
	w := Window{AutoPad: r.enum("auto_pad", "NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")}
	if kernelRequired {
		w.KernelShape = r.reqInts("kernel_shape")
	} else {
		w.KernelShape = r.ints("kernel_shape", nil)
	}
	w.Strides = r.ints("strides", nil) // default 1 per axis
	w.Pads = r.ints("pads", nil)       // default 0
	if dilations {
		w.Dilations = r.ints("dilations", nil) // default 1 per axis
	}
	r.atLeast("kernel_shape", w.KernelShape, 1)
	r.atLeast("strides", w.Strides, 1)
	r.atLeast("dilations", w.Dilations, 1)
	r.atLeast("pads", w.Pads, 0)
	return w
}

// Geometry is a Window resolved for one input, per spatial axis.
type Geometry struct {
	Kernel, Strides, Dilations []int
	PadBegin, PadEnd           []int
}

// Resolve checks the window against the spatial input dims and resolves
// defaults and auto_pad. kernel is the weight's spatial dims (Conv) or nil
// (kernel_shape is then required).
func (w *Window) Resolve(spatial, kernel []int) (Geometry, error) {
	r := len(spatial)
	g := Geometry{Kernel: ones(r), Strides: ones(r), Dilations: ones(r), PadBegin: make([]int, r), PadEnd: make([]int, r)}
	if err := w.fill(&g, kernel); err != nil {
		return g, err
	}
	for i, in := range spatial {
		g.autoPad(w.AutoPad, i, in)
	}
	return g, nil
}

// fill copies the attributes into g, checking their lengths.
func (w *Window) fill(g *Geometry, kernel []int) error {
	r := len(g.Kernel)
	switch {
	case w.KernelShape != nil:
		if len(w.KernelShape) != r {
			return fmt.Errorf("kernel_shape %v needs %d values", w.KernelShape, r)
		}
		for i, k := range w.KernelShape {
			g.Kernel[i] = int(k)
			if kernel != nil && kernel[i] != int(k) {
				return fmt.Errorf("kernel_shape %v does not match the weight's %v", w.KernelShape, kernel)
			}
		}
	case kernel != nil:
		copy(g.Kernel, kernel)
	default:
		return fmt.Errorf("kernel_shape is required")
	}
	for _, a := range []struct {
		name string
		v    []int64
		dst  []int
	}{{"strides", w.Strides, g.Strides}, {"dilations", w.Dilations, g.Dilations}} {
		if a.v == nil {
			continue
		}
		if len(a.v) != r {
			return fmt.Errorf("%s %v needs %d values", a.name, a.v, r)
		}
		for i, x := range a.v {
			a.dst[i] = int(x)
		}
	}
	if w.Pads != nil {
		if len(w.Pads) != 2*r {
			return fmt.Errorf("pads %v needs %d values", w.Pads, 2*r)
		}
		for i := range r {
			g.PadBegin[i], g.PadEnd[i] = int(w.Pads[i]), int(w.Pads[r+i])
		}
	}
	return nil
}

// autoPad replaces axis i's pads for SAME_UPPER, SAME_LOWER and VALID.
func (g *Geometry) autoPad(mode string, i, in int) {
	switch mode {
	case "VALID":
		g.PadBegin[i], g.PadEnd[i] = 0, 0
	case "SAME_UPPER", "SAME_LOWER":
		out := (in + g.Strides[i] - 1) / g.Strides[i]
		total := max(0, (out-1)*g.Strides[i]+(g.Kernel[i]-1)*g.Dilations[i]+1-in)
		g.PadBegin[i] = total / 2
		if mode == "SAME_LOWER" {
			g.PadBegin[i] = total - total/2
		}
		g.PadEnd[i] = total - g.PadBegin[i]
	}
}

// Extent is the dilated window length along axis i.
func (g Geometry) Extent(i int) int { return (g.Kernel[i]-1)*g.Dilations[i] + 1 }

// Out is the output length along axis i for an input of length in; ceil
// is the pools' ceil_mode.
func (g Geometry) Out(i, in int, ceil bool) (int, error) {
	span := g.Extent(i)
	room := in + g.PadBegin[i] + g.PadEnd[i] - span
	if room < 0 {
		return 0, fmt.Errorf("window %d (dilated) is larger than the padded input %d", span, in+g.PadBegin[i]+g.PadEnd[i])
	}
	out := room/g.Strides[i] + 1
	if ceil && room%g.Strides[i] != 0 {
		out++
		if (out-1)*g.Strides[i] >= in+g.PadBegin[i] {
			out-- // the last window would start in the end padding
		}
	}
	return out, nil
}

// outDims infers the spatial output dims for spatial input dims that may
// be unknown.
func (w *Window) outDims(spatial []ir.Dim, kernel []int, ceil, padsBelowKernel bool) ([]ir.Dim, error) {
	r := len(spatial)
	g := Geometry{Kernel: ones(r), Strides: ones(r), Dilations: ones(r), PadBegin: make([]int, r), PadEnd: make([]int, r)}
	if err := w.fill(&g, kernel); err != nil {
		return nil, err
	}
	out := make([]ir.Dim, r)
	for i, d := range spatial {
		if padsBelowKernel && w.AutoPad == "NOTSET" && (g.PadBegin[i] >= g.Extent(i) || g.PadEnd[i] >= g.Extent(i)) {
			return nil, fmt.Errorf("pads %v are not smaller than the window %v", w.Pads, g.Kernel)
		}
		if !d.Known() {
			out[i] = unknown
			continue
		}
		g.autoPad(w.AutoPad, i, int(d.Size))
		o, err := g.Out(i, int(d.Size), ceil)
		if err != nil {
			return nil, err
		}
		out[i] = known(int64(o))
	}
	return out, nil
}

func ones(r int) []int {
	s := make([]int, r)
	for i := range s {
		s[i] = 1
	}
	return s
}

// CheckRank checks the window's list lengths for r spatial axes.
func (w *Window) CheckRank(r int) error {
	g := Geometry{Kernel: ones(r), Strides: ones(r), Dilations: ones(r), PadBegin: make([]int, r), PadEnd: make([]int, r)}
	var kernel []int
	if w.KernelShape == nil {
		kernel = ones(r)
	}
	return w.fill(&g, kernel)
}
