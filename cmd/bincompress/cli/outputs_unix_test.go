//go:build unix

package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunTopAfterOutput: `run --top` printed its classes before --output
// was written, so a run whose output then failed (here the file size limit
// of `ulimit -f 0`, as a full disk would) had shown its results as if it
// had succeeded. The classes print only once the output is in place.
func TestRunTopAfterOutput(t *testing.T) {
	dir := t.TempDir()
	y := filepath.Join(dir, "y.npy")
	args := []string{"run", testModel("fmnist_tiny.onnx"), "--input", testModel("fmnist_tiny.input.npy"), "--top", "2", "--output", y}
	self := selfCommand(t)
	cmd := exec.Command("/bin/sh", append([]string{"-c", `ulimit -f 0 && exec "$0" "$@"`, self.Path}, args...)...)
	cmd.Env = self.Env
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err == nil || cmd.ProcessState.ExitCode() != ExitFailure || out.Len() > 0 {
		t.Errorf("output refused by the size limit: %v, stdout %q, stderr %q; want exit 1 and no results", err, out.String(), errOut.String())
	}
	if _, err := os.Stat(y); err == nil {
		t.Errorf("%s was written", y)
	}
	// Without the limit, the classes print as before.
	if code, out, errOut := run(t, args...); code != ExitOK || !strings.HasPrefix(out, "0: ") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
