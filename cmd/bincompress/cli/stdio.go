package cli

import (
	"os"

	"golang.org/x/term"
)

// Stdio returns the process's standard streams; progress bars are drawn
// only when stderr is a terminal.
func Stdio() IO {
	return IO{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, IsTerminal: term.IsTerminal(int(os.Stderr.Fd()))}
}
