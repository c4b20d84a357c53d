package cli

import (
	"github.com/spf13/pflag"

	"github.com/bincompress/bincompress/verify"
)

// GateFlags are the accuracy thresholds of verify and the main command.
type GateFlags struct {
	MaxDrop     float64
	MinAccuracy float64
	fs          *pflag.FlagSet
}

func (g *GateFlags) register(fs *pflag.FlagSet) {
	g.fs = fs
	fs.Float64Var(&g.MaxDrop, "max-drop", 0, "fail (exit 3) when top-1 accuracy drops by more than this fraction (0.01 = one point) below the source model")
	fs.Float64Var(&g.MinAccuracy, "min-accuracy", 0, "fail (exit 3) when top-1 accuracy is below this fraction")
}

func (g *GateFlags) changed(name string) bool { return g.fs != nil && g.fs.Changed(name) }

func (g *GateFlags) set() bool { return g.changed("max-drop") || g.changed("min-accuracy") }

func (g *GateFlags) validate() error {
	if g.MaxDrop < 0 || g.MaxDrop > 1 {
		return usagef("--max-drop %v must be a fraction in [0, 1]", g.MaxDrop)
	}
	if g.MinAccuracy < 0 || g.MinAccuracy > 1 {
		return usagef("--min-accuracy %v must be a fraction in [0, 1]", g.MinAccuracy)
	}
	return nil
}

func (g *GateFlags) gate() verify.Gate {
	var out verify.Gate
	if g.changed("max-drop") {
		v := g.MaxDrop
		out.MaxDrop = &v
	}
	if g.changed("min-accuracy") {
		v := g.MinAccuracy
		out.MinAccuracy = &v
	}
	return out
}
