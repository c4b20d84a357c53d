package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

const rootExample = `  # Binarize only (no data): fast, but accuracy is unverified
  bincompress testdata/models/fmnist_tiny.onnx tiny.bnn

  # Fine-tune on Fashion-MNIST, verify on its test split, fail (exit 3) on a drop over 1 point
  bincompress testdata/models/fmnist_resnet20.onnx fmnist.bnn \
      --data /usr/share/datasets/fashion-mnist --mean 0.2860 --std 0.3530 \
      --epochs 4 --seed 1 --max-drop 0.01 --json > report.json

  # Let held-out data choose which layers stay float: the fewest bytes that keep the drop within half a point
  # (exit 3 when no plan within 1.25x the all-binary size does)
  bincompress testdata/models/fmnist_resnet20.onnx fmnist.bnn \
      --data /usr/share/datasets/fashion-mnist --mean 0.2860 --std 0.3530 \
      --epochs 4 --keep-float auto --max-drop 0.005

  # Only re-estimate BatchNormalization statistics on real data after binarizing
  bincompress testdata/models/fmnist_tiny.onnx tiny.bnn --calib testdata/data/fmnist-mini --calib-batches 5 \
      --mean 0.2860 --std 0.3530`

func newRootCmd(streams IO) *cobra.Command {
	opts := defaultCompressOptions()
	cmd := &cobra.Command{
		Use:   "bincompress IN.onnx OUT.bnn [flags]",
		Short: "Compress an ONNX ResNet to one bit per weight, fine-tune it and prove it still works",
		Long: "bincompress imports a float ONNX model, binarizes its conv and dense weights\n" +
			"(W -> s*sign(W)), optionally fine-tunes them on your data with McDonnell's\n" +
			"compressed learning, writes a bit-packed .bnn about 30x smaller, and verifies\n" +
			"its accuracy against the source model.\n\n" +
			"Results (the summary, the verify table) go to stdout, logs and progress to\n" +
			"stderr; --json puts JSON on stdout instead. Outputs appear only once the run\n" +
			"has finished (a failed gate included); an output that is an input is refused.\n" +
			"See docs/CI.md.\n\n" +
			"Exit codes: 0 ok, 1 failure, 2 usage error, 3 accuracy gate failed,\n" +
			"130/143/129/141 interrupted (SIGINT/SIGTERM/SIGHUP/SIGPIPE).",
		Example:                    rootExample,
		Version:                    version(),
		Args:                       usageArgs(rootArgs),
		SuggestionsMinimumDistance: 2, // rootArgs: "inpsect" is inspect
		SilenceUsage:               true,
		SilenceErrors:              true,
		PersistentPreRunE:          checkFlags,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.In, opts.Out, opts.Quiet = args[0], args[1], quiet(cmd)
			if err := opts.validate(); err != nil {
				return err
			}
			return runCompress(cmd.Context(), opts, streams)
		},
	}
	cmd.SetVersionTemplate("bincompress {{.Version}}\n")
	cmd.PersistentFlags().BoolP("quiet", "q", false, "no logs or progress on stderr (warnings and errors still print)")
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	opts.register(cmd.Flags())
	cmd.AddCommand(newInspectCmd(streams), newRunCmd(streams), newVerifyCmd(streams), newFinetuneCmd(streams), newPackCmd(streams), newBenchCmd(streams), newExportCmd(streams))
	cmd.SetIn(streams.In)
	cmd.SetOut(streams.Out) // before strictBuiltins: the completion scripts keep the writer they find
	cmd.SetErr(streams.ErrOut)
	strictBuiltins(cmd)
	for _, c := range cmd.Commands() {
		c.SilenceUsage, c.SilenceErrors = true, true
	}
	return cmd
}

// rootArgs takes IN and OUT. A first argument that names no file but is
// close to a command's name is a mistyped command ("bincompress inpsect
// m.bnn"), not a missing model: say which command was meant.
func rootArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		if _, err := os.Stat(args[0]); errors.Is(err, fs.ErrNotExist) {
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				return fmt.Errorf("%q is neither a command nor a file; did you mean \"bincompress %s\"?", args[0], s[0])
			}
		}
	}
	return cobra.ExactArgs(2)(cmd, args)
}

// strictBuiltins makes cobra's own commands refuse what they do not know, as
// ours do: "help nosuchcommand" printed the main command's help and
// "completion badshell" the completion command's, both with exit 0 (cobra
// shows a command without a Run its help before it checks the arguments), so
// a pipeline's typo passed as success. They are usage errors now (exit 2).
func strictBuiltins(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch {
		case c.Name() == "help":
			c.Run, c.RunE = nil, helpTopic
		case !c.Runnable() && c.HasSubCommands():
			c.SuggestionsMinimumDistance = 2 // cobra sets it only where it suggests itself
			c.Args = usageArgs(func(c *cobra.Command, args []string) error {
				if len(args) > 0 {
					return suggest(usagef("unknown command %q for %q", args[0], c.CommandPath()), c, args[0])
				}
				return nil
			})
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		}
	}
}

// helpTopic is the help command: the help of the command its arguments
// name, or a usage error when they name none.
func helpTopic(c *cobra.Command, args []string) error {
	target, rest, err := c.Root().Find(args)
	if err != nil {
		return usageError{err}
	}
	if len(rest) > 0 {
		return suggest(usagef("unknown help topic %q", strings.Join(args, " ")), target, rest[0])
	}
	target.InitDefaultHelpFlag()
	target.InitDefaultVersionFlag()
	return target.Help()
}

// suggest adds to err the subcommand of parent that word, mistyped, may
// have meant, if cobra finds one.
func suggest(err error, parent *cobra.Command, word string) error {
	if s := parent.SuggestionsFor(word); len(s) > 0 {
		return usagef("%v; did you mean %q?", err, parent.CommandPath()+" "+s[0])
	}
	return err
}
