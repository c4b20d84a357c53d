package cli

import (
	"os"

	"golang.org/x/term"
)

// Stdio returns the process's standard streams; progress bars are drawn
// only when stderr is a terminal that can redraw a line: a dumb one
// (TERM=dumb: Emacs shell buffers, some CI consoles) gets the lines of a
// log instead, as a pipe does.
func Stdio() IO {
	bars := term.IsTerminal(int(os.Stderr.Fd())) && os.Getenv("TERM") != "dumb"
	return IO{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, IsTerminal: bars}
}
