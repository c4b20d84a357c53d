package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"testing"
)

// TestMain lets a test re-execute this binary as the bincompress command:
// with BINCOMPRESS_TEST_MAIN set, it runs Main on its arguments and exits.
func TestMain(m *testing.M) {
	if os.Getenv("BINCOMPRESS_TEST_MAIN") == "1" {
		os.Exit(Main(os.Args[1:], Stdio()))
	}
	os.Exit(m.Run())
}

// selfCommand is the bincompress command line as a child process.
func selfCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "BINCOMPRESS_TEST_MAIN=1")
	return cmd
}

// runFresh runs the command line in a child process (selfCommand) and
// returns its exit code, stdout and stderr, as run does in this one.
func runFresh(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := selfCommand(t, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}
