package cli

import (
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
