//go:build unix

package safefile

import (
	"errors"
	"syscall"
)

// alive reports whether a process with this PID runs (or may run: a process
// of another user answers EPERM).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || !errors.Is(err, syscall.ESRCH)
}
