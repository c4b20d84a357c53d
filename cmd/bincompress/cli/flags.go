package cli

import (
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/infer"
)

// checkFlags runs before every command, once cobra has parsed the flags:
// every number must be finite (pflag accepts NaN and Inf, which would turn
// a gate off or train a whole epoch before failing) and every path flag
// that was given must name something. Ranges are each command's validate.
func checkFlags(cmd *cobra.Command, _ []string) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || !f.Changed {
			return
		}
		switch f.Value.Type() {
		case "float32", "float64":
			if v, perr := strconv.ParseFloat(f.Value.String(), 64); perr != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				err = usagef("--%s %s: want a finite number", f.Name, f.Value.String())
			}
		case "string":
			if isPath(f) && strings.TrimSpace(f.Value.String()) == "" {
				err = usagef("--%s: empty path", f.Name)
			}
		}
	})
	return err
}

// listFlag is a comma-separated list flag that may be given again: each
// value's items (convert.SplitList: `\,` is a comma inside an item) add to
// the earlier values' and replace the default. *s holds them as one list
// (convert.JoinList), so a repeated flag's items stay apart.
type listFlag struct {
	s   *string
	set bool
}

func (f *listFlag) String() string {
	if f.s == nil {
		return ""
	}
	return *f.s
}

func (f *listFlag) Set(v string) error {
	items := convert.SplitList(v)
	if f.set {
		items = append(convert.SplitList(*f.s), items...)
	}
	*f.s, f.set = convert.JoinList(items), true
	return nil
}

func (f *listFlag) Type() string { return "list" }

// keepFloatFlag registers --keep-float on p, default defaultKeepFloat.
func keepFloatFlag(fs *pflag.FlagSet, p *string, usage string) {
	*p = defaultKeepFloat
	fs.Var(&listFlag{s: p}, "keep-float", usage+"; comma-separated, or the flag repeated (--keep-float first --keep-float NODE); "+
		`a comma inside a node name is written \, (conv\,0 is the node "conv,0"), a backslash before a comma or a backslash \\`)
}

// pathFlag registers a string flag naming a file or folder (shell
// completion offers files; checkFlags refuses an empty value).
func pathFlag(fs *pflag.FlagSet, p *string, name, usage string) {
	fs.StringVar(p, name, "", usage)
	_ = fs.SetAnnotation(name, cobra.BashCompFilenameExt, []string{})
}

func isPath(f *pflag.Flag) bool {
	_, ok := f.Annotations[cobra.BashCompFilenameExt]
	return ok
}

// checkRange returns a usage error unless lo <= v <= hi.
func checkRange[T int | float64 | float32](name string, v, lo, hi T) error {
	if v < lo || v > hi {
		return usagef("--%s %v: want a value in [%v, %v]", name, v, lo, hi)
	}
	return nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// version is the --version line: the module version and the VCS revision
// the binary was built from (runtime/debug.ReadBuildInfo).
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (built without module information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, when, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", modified"
			}
		}
	}
	if rev == "" {
		rev = "unknown"
	}
	out := fmt.Sprintf("%s %s, revision %s%s", bi.Main.Path, v, rev, dirty)
	if when != "" {
		out += ", committed " + when
	}
	return out + ", " + bi.GoVersion
}

// quiet reports the root's --quiet flag as the running command sees it.
func quiet(cmd *cobra.Command) bool {
	q, _ := cmd.Flags().GetBool("quiet")
	return q
}

// maxElementsFlag registers --max-elements, the executor's per-tensor
// element limit (infer.Options.MaxElements).
func maxElementsFlag(fs *pflag.FlagSet, p *int) {
	fs.IntVar(p, "max-elements", infer.DefaultMaxElements, "refuse a model whose tensors would exceed this many elements each (1 GiB of float32 by default): a bound on memory for untrusted models")
}

func checkMaxElements(n int) error { return checkRange("max-elements", n, 1, 1<<31) }
