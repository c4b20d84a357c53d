package cli

import (
	"fmt"
	"strconv"
	"strings"

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
	fs.Var((*fraction)(&g.MaxDrop), "max-drop", "fail (exit 3) when top-1 accuracy drops by more than this fraction (0.01 = one point, not 1; 0.5 = fifty points) below the source model")
	fs.Var((*fraction)(&g.MinAccuracy), "min-accuracy", "fail (exit 3) when top-1 accuracy is below this fraction")
}

func (g *GateFlags) changed(name string) bool { return g.fs != nil && g.fs.Changed(name) }

func (g *GateFlags) set() bool { return g.changed("max-drop") || g.changed("min-accuracy") }

func (g *GateFlags) validate() error {
	if g.MaxDrop < 0 || g.MaxDrop > 1 {
		return usagef("--max-drop %v must be a fraction in [0, 1)", g.MaxDrop)
	}
	if g.MaxDrop == 1 {
		return usagef("--max-drop 1 allows a drop of 100 points, a gate that cannot fail: it is a fraction (0.01 is one point; for 1%%, give 0.01)")
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

// bigDrop is the --max-drop from which warn suspects a percentage: a
// budget of half the accuracy or more is rarely meant.
const bigDrop = 0.5

// warn says, when --max-drop looks like a percentage given where a
// fraction is wanted (0.5 meant as half a point allows 50), what it allows.
func (g *GateFlags) warn(log *logger) {
	if g.changed("max-drop") && g.MaxDrop >= bigDrop {
		log.warnf("--max-drop %v allows a drop of %.6g points: it is a fraction (0.01 is one point); for %v%%, give %.6g", g.MaxDrop, 100*g.MaxDrop, g.MaxDrop, g.MaxDrop/100)
	}
}

// fraction is a float64 flag that refuses a percentage ("0.5%") with the
// fraction it means, rather than pflag's bare "invalid syntax". Its type is
// float64, so checkFlags refuses NaN and Inf as for any number.
type fraction float64

func (f *fraction) String() string { return strconv.FormatFloat(float64(*f), 'g', -1, 64) }

func (f *fraction) Type() string { return "float64" }

func (f *fraction) Set(s string) error {
	if p, ok := strings.CutSuffix(strings.TrimSpace(s), "%"); ok {
		if v, err := strconv.ParseFloat(p, 64); err == nil {
			return fmt.Errorf("a fraction is wanted, not a percentage: for %s give %.6g", s, v/100)
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("want a fraction such as 0.01 (one point)")
	}
	*f = fraction(v)
	return nil
}
