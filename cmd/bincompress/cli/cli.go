package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/bincompress/bincompress/internal/safefile"
	"github.com/bincompress/bincompress/internal/termtext"
	"github.com/bincompress/bincompress/ir/schema"
)

// Exit codes of the bincompress command (docs/CI.md).
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
	ExitGate    = 3
	// ExitSIGHUP, ExitSIGINT, ExitSIGPIPE and ExitSIGTERM are 128 + the
	// signal, as shells report.
	ExitSIGHUP  = 129
	ExitSIGINT  = 130
	ExitSIGPIPE = 141
	ExitSIGTERM = 143
)

// IO carries the streams a command may use; tests pass buffers.
type IO struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// IsTerminal reports whether ErrOut is a terminal (progress bars only then).
	IsTerminal bool
}

// usageError marks an error in how the command was called: a flag or an
// argument (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// ErrGate is returned when verification ran but the accuracy gate failed.
var ErrGate = errors.New("accuracy gate failed")

// errAutoMissed is the gate failure of --keep-float auto: no plan within
// the size bound met --max-drop on the held-out images. It exits 3 whatever
// the test split says afterwards, since the held-out images decide.
var errAutoMissed = fmt.Errorf("--keep-float auto: no plan met --max-drop on the held-out images: %w", ErrGate)

// Main runs the command line and returns the process exit code. SIGINT,
// SIGTERM, SIGHUP and (on the process's own stdout or stderr) SIGPIPE
// remove every temporary output and exit 128 + the signal at once.
func Main(args []string, streams IO) int {
	outputsWritten.Store(false)
	pipes := streams.Out == os.Stdout || streams.ErrOut == os.Stderr
	out := &stdout{w: streams.Out}
	streams.Out = out
	stop := onSignal(streams.ErrOut, out, pipes)
	defer stop()
	root := newRootCmd(streams)
	started := false // set when a command's RunE starts: errors before are cobra's
	for _, c := range append(root.Commands(), root) {
		if run := c.RunE; run != nil {
			c.RunE = func(cmd *cobra.Command, args []string) error {
				started = true
				out.json.Store(jsonRequested(cmd, args))
				return limitHint(cmd, guard(run)(cmd, args))
			}
		}
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(context.Background())
	failedOut := false
	if werr := out.failed(); werr != nil && err == nil {
		// a command that ignored a failed write (a summary, a table, a
		// help text on a full disk) would exit 0 with its output lost:
		// every write goes through out, so this one check covers them all
		err, failedOut = fmt.Errorf("stdout: %w", werr), true
	}
	if err == nil {
		return ExitOK
	}
	if pipes && errors.Is(err, syscall.EPIPE) {
		// a reader closed stdout or stderr: the write failed before onSignal
		// could end the process; end it as onSignal does, quietly
		return ExitSIGPIPE
	}
	code := ExitUsage // cobra's errors: unknown flags, bad values, argument counts, required flags
	if started || failedOut {
		code = exitCode(err)
	}
	if code == ExitFailure && outputsWritten.Load() {
		// a failure after the outputs were renamed into place (the summary
		// on a full or closed stdout) leaves them, complete: say so, as an
		// interrupt then does, or a pipeline takes exit 1 for no output
		err = fmt.Errorf("%w (the outputs were written before this and are complete)", err)
	}
	// errors name nodes and ops of the file: printed cleaned
	fmt.Fprintf(streams.ErrOut, "bincompress: %s\n", termtext.Clean(err.Error()))
	if code == ExitUsage {
		fmt.Fprintf(streams.ErrOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	if code != ExitGate && jsonRequested(cmd, args) {
		writeErrorJSON(streams.Out, code, err)
	}
	return code
}

// jsonRequested reports whether the command line asked for JSON on stdout:
// the flag as parsed, or as written when parsing stopped before it (an
// unknown flag earlier on the line).
func jsonRequested(cmd *cobra.Command, args []string) bool {
	f := cmd.Flags().Lookup("json")
	if f == nil {
		return false
	}
	if f.Changed {
		return f.Value.String() == "true"
	}
	return slices.Contains(args, "--json") || slices.Contains(args, "--json=true")
}

// writeErrorJSON gives a pipeline that reads stdout as JSON a document on
// exit 1 and 2 too, where it would otherwise get nothing (exit 3 prints
// the report that failed the gate): {"event": "error", "exit_code": N,
// "error": "..."}, the last line of the main command's JSON-lines log.
// An interrupt writes it too (stdout.end).
func writeErrorJSON(out io.Writer, code int, err error) {
	b, _ := json.Marshal(struct {
		Event    string `json:"event"`
		ExitCode int    `json:"exit_code"`
		Error    string `json:"error"`
	}{"error", code, termtext.Clean(err.Error())})
	fmt.Fprintf(out, "%s\n", b)
}

// guard turns a panic in run into an error (exit 1, with --json an error
// document), after run's deferred calls have removed its temporaries: a
// bug must not exit 2, the code of a usage error, nor end without saying
// what to report.
func guard(run func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("internal error, a bug in bincompress (please report it with the command line and this message): %v\n%s", r, debug.Stack())
			}
		}()
		return run(cmd, args)
	}
}

// limitHint adds to an error of the element limit how to raise it, where
// the command has --max-elements: the limit's own messages (the op layer,
// the executor) name no flag, since export and inspect have none.
func limitHint(cmd *cobra.Command, err error) error {
	if errors.Is(err, schema.ErrTooLarge) && cmd.Flags().Lookup("max-elements") != nil {
		return fmt.Errorf("%w (raise the limit with --max-elements if the model really needs that)", err)
	}
	return err
}

func exitCode(err error) int {
	var ue usageError
	switch {
	case errors.Is(err, ErrGate):
		return ExitGate
	case errors.As(err, &ue):
		return ExitUsage
	}
	return ExitFailure
}

// stdout is the command's stdout, one Write at a time, so that an
// interrupt can end it with the error document on a line of its own. It
// keeps the first write error, which Main turns into exit 1 (141 for a
// closed pipe) where the command itself returned none.
type stdout struct {
	mu   sync.Mutex
	w    io.Writer
	err  error       // the first failed Write's
	json atomic.Bool // the command asked for --json
}

func (s *stdout) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil && s.err == nil {
		s.err = err
	}
	return n, err
}

// failed is the first write error, nil if every write succeeded.
func (s *stdout) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// end writes the error document of an interrupt (exit code, message) as
// stdout's last line under --json, so that a pipeline reading the
// JSON-lines log sees why it stopped rather than a training event, and
// keeps stdout locked until the process exits. It waits a second at
// most: a write blocked on a stdout nobody reads (a full pipe) holds the
// lock, and the interrupt must still exit.
func (s *stdout) end(code int, msg string) {
	if !s.json.Load() {
		return
	}
	done := make(chan struct{})
	go func() {
		s.mu.Lock() // never unlocked: nothing may follow the document
		writeErrorJSON(s.w, code, errors.New(msg))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
	}
}

// onSignal makes SIGINT, SIGTERM and SIGHUP (a closed terminal or ssh
// session) remove the run's temporaries, say "interrupted" (on stderr, and
// on out as the error document under --json) and exit with 128 + the
// signal; the returned func undoes it. With pipes (the streams are the
// process's own), SIGPIPE does too, without a word, as any Unix tool
// stops: a reader that closed stdout or stderr (`--json | head -1`)
// otherwise kills the process where it writes, before it can remove its
// temporaries. Without pipes (Main on buffers, in tests) SIGPIPE is left
// alone: it could only come from another file's pipe.
func onSignal(errOut io.Writer, out *stdout, pipes bool) func() {
	ch := make(chan os.Signal, 1)
	sigs := []os.Signal{syscall.SIGINT, syscall.SIGTERM}
	// Notify would undo an ignored SIGHUP or SIGPIPE: `nohup bincompress`
	// must outlive its terminal
	if !signal.Ignored(syscall.SIGHUP) {
		sigs = append(sigs, syscall.SIGHUP)
	}
	if pipes && !signal.Ignored(syscall.SIGPIPE) {
		sigs = append(sigs, syscall.SIGPIPE)
	}
	signal.Notify(ch, sigs...)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			safefile.RemoveAll()
			code := 128 + int(sig.(syscall.Signal))
			if sig == syscall.SIGPIPE { // quietly, as Unix tools do: `inspect m.bnn | head` is no error
				os.Exit(code)
			}
			msg := interrupted(sig)
			fmt.Fprintf(errOut, "bincompress: %s\n", msg)
			out.end(code, msg)
			os.Exit(code)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// outputsWritten is set once a run's outputs are renamed into place (files.
// commit): a signal after that, while the summary is printed, leaves them.
var outputsWritten atomic.Bool

// interrupted is the message of a run stopped by sig.
func interrupted(sig os.Signal) string {
	if outputsWritten.Load() {
		return fmt.Sprintf("interrupted (%v) after the outputs were written: they are complete", sig)
	}
	return fmt.Sprintf("interrupted (%v); no output was written", sig)
}

// usageArgs wraps a cobra argument validator so its error counts as usage.
// Every positional argument is a path, so an empty one (an unset shell
// variable) is refused here too, as an empty path flag is.
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return usageError{err}
		}
		for i, a := range args {
			if a == "" {
				return usagef("argument %d is an empty path", i+1)
			}
		}
		return nil
	}
}
