package safefile

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func TestWriteFileModeFollowsUmask(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "m.bnn")
	if err := WriteFile(path, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0644 less umask 027 = 0640", fi.Mode().Perm())
	}
	syscall.Umask(0o022)
	if err := WriteFile(path, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
}

func TestFailedSetLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "old.bnn")
	os.WriteFile(keep, []byte("previous"), 0o644)
	var s Set
	a, err := s.File(keep)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.File(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.WriteBytes([]byte("new")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := b.Write(func(io.Writer) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("write error %v", err)
	}
	s.Discard()
	if got := names(t, dir); len(got) != 1 || got[0] != "old.bnn" {
		t.Errorf("after Discard the folder holds %v", got)
	}
	if b, _ := os.ReadFile(keep); string(b) != "previous" {
		t.Errorf("the existing target was touched: %q", b)
	}
	if pending() != 0 {
		t.Errorf("%d temporaries still registered", pending())
	}
}

func TestCommitRenamesAll(t *testing.T) {
	dir := t.TempDir()
	var s Set
	f, err := s.File(filepath.Join(dir, "a.bnn"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteBytes([]byte("first try, longer"))
	f.WriteBytes([]byte("A")) // a second Write replaces the first
	d, err := s.Dir(filepath.Join(dir, "c"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d.Path(), "m.h"), []byte("h"), 0o644)
	unused, _ := s.File(filepath.Join(dir, "loss.png"))
	unused.Drop()
	if got := len(names(t, dir)); got != 2 {
		t.Fatalf("before Commit: %d entries, want the two temporaries", got)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); len(got) != 2 || got[0] != "a.bnn" || got[1] != "c" {
		t.Errorf("after Commit: %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.bnn")); string(b) != "A" {
		t.Errorf("a.bnn holds %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "c", "m.h")); err != nil {
		t.Error(err)
	}
}

// TestRemoveAllThenCommit is what an interrupt does: the signal handler
// removes the temporaries, and the run's Commit then fails without output.
func TestRemoveAllThenCommit(t *testing.T) {
	dir := t.TempDir()
	var s Set
	f, _ := s.File(filepath.Join(dir, "a.bnn"))
	f.WriteBytes([]byte("A"))
	RemoveAll()
	if err := s.Commit(); err == nil {
		t.Fatal("Commit after RemoveAll succeeded")
	}
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("folder holds %v", got)
	}
}

func TestMissingFolderFailsAtAdd(t *testing.T) {
	var s Set
	if _, err := s.File(filepath.Join(t.TempDir(), "no", "such", "r.html")); err == nil {
		t.Fatal("staging into a missing folder succeeded")
	}
}

// TestCleanStale: a dead process's temporaries go, and so does one with
// this process's PID that it does not hold; those of running processes and
// this process's own staged outputs stay.
func TestCleanStale(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "m.bnn")
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no `true` to get a dead PID from:", err)
	}
	dead := cmd.Process.Pid
	stale := ".m.bnn.tmp-" + strconv.Itoa(dead) + "-0123abcd"
	mine := ".m.bnn.tmp-" + strconv.Itoa(os.Getpid()) + "-0123abcd"
	parent := ".m.bnn.tmp-" + strconv.Itoa(os.Getppid()) + "-0123abcd"
	others := []string{".m.bnn.tmp123", ".m.bnn.tmp-" + strconv.Itoa(dead) + "-0123abcdX", ".other.bnn.tmp-" + strconv.Itoa(dead) + "-0123abcd", "m.bnn"}
	for _, n := range append([]string{stale, mine, parent}, others...) {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	os.Mkdir(filepath.Join(dir, ".m.bnn.tmp-"+strconv.Itoa(dead)+"-deadbeef"), 0o755)
	var s Set // a temporary this process holds, staged after the others
	o, err := s.File(target)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Discard()
	CleanStale(target)
	got := map[string]bool{}
	for _, n := range names(t, dir) {
		got[n] = true
	}
	if got[stale] || got[".m.bnn.tmp-"+strconv.Itoa(dead)+"-deadbeef"] {
		t.Errorf("a dead process's temporaries were kept: %v", got)
	}
	// mine has this process's PID but is not one it holds: an earlier
	// process with the same PID left it (a container's PID 1)
	if got[mine] {
		t.Errorf("%s, left by an earlier process with this PID, was kept", mine)
	}
	for _, n := range append([]string{parent, filepath.Base(o.Path())}, others...) {
		if !got[n] {
			t.Errorf("%s was removed", n)
		}
	}
}
