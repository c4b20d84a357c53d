package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes of the bincompress command.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
	ExitGate    = 3
)

// IO carries the streams a command may use; tests pass buffers.
type IO struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// IsTerminal reports whether ErrOut is a terminal (progress bars only then).
	IsTerminal bool
}

// usageError marks an error in how the command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// ErrGate is returned when verification ran but the accuracy gate failed.
var ErrGate = errors.New("accuracy gate failed")

// Main runs the command line and returns the process exit code.
func Main(args []string, streams IO) int {
	root := newRootCmd(streams)
	root.SetArgs(args)
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(streams.ErrOut, "bincompress: %v\n", err)
	return exitCode(err)
}

func exitCode(err error) int {
	var ue usageError
	switch {
	case errors.Is(err, ErrGate):
		return ExitGate
	case errors.As(err, &ue), isCobraUsage(err):
		return ExitUsage
	}
	return ExitFailure
}

// isCobraUsage recognizes the errors cobra itself returns for bad flags and
// arguments; cobra has no typed errors for them.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand flag", "unknown command", "flag needs an argument",
		"invalid argument", "accepts ", "requires at least", "requires at most", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// usageArgs wraps a cobra argument validator so its error counts as usage.
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
