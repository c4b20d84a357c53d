package cli

import "os"

// Stdio returns the process's standard streams.
func Stdio() IO {
	term := false
	if fi, err := os.Stderr.Stat(); err == nil {
		term = fi.Mode()&os.ModeCharDevice != 0
	}
	return IO{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, IsTerminal: term}
}
