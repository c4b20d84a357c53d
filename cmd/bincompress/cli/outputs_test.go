package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bincompress/bincompress/internal/npy"
)

const miniData = "../../../testdata/data/fmnist-mini"

// snapshot records every file under dir (name → contents and mtime), so a
// test can check that a refused or failed run touched nothing.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b) + "@" + fi.ModTime().String()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameSnapshot(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	if len(before) != len(after) {
		t.Errorf("%s: the folder held %d files, now %d", what, len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %s was changed or removed", what, k)
		}
	}
}

// copyModel puts a copy of a testdata model into dir.
func copyModel(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(testModel(name))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// tinyBNN binarizes fmnist_tiny into dir.
func tinyBNN(t *testing.T, dir string) string {
	t.Helper()
	bnn := filepath.Join(dir, "tiny.bnn")
	if code, _, errOut := run(t, testModel("fmnist_tiny.onnx"), bnn); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	return bnn
}

// TestOutputIsInput: every way of naming an input (or another output) as
// an output is refused with exit 2 before anything is written: the same
// path, a symlink, a hard link, and across commands; so is the checkpoint
// file --checkpoint keeps (and --resume reads), in its folder or a round's.
func TestOutputIsInput(t *testing.T) {
	dir := t.TempDir()
	m := copyModel(t, dir, "fmnist_tiny.onnx")
	bnn := tinyBNN(t, dir)
	if err := os.Symlink(m, filepath.Join(dir, "link.onnx")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(m, filepath.Join(dir, "hard.onnx")); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "x.npy")
	os.WriteFile(in, []byte("npy"), 0o644)
	ck := filepath.Join(dir, "ck")
	os.MkdirAll(filepath.Join(ck, "round-1"), 0o755)
	cases := [][]string{
		{m, m},
		{m, filepath.Join(dir, "link.onnx")},
		{m, filepath.Join(dir, "hard.onnx")},
		{m, filepath.Join(dir, ".", "fmnist_tiny.onnx")},
		{m, filepath.Join(dir, "o.bnn"), "--val", miniData, "--report", m},
		{m, filepath.Join(dir, "o.bnn"), "--val", miniData, "--report", filepath.Join(dir, "o.bnn")},
		{m, filepath.Join(dir, "o.bnn"), "--data", miniData, "--report", filepath.Join(dir, "o.loss.png")},
		{"pack", m, m},
		{"finetune", m, "--data", miniData, "--out", m},
		{"export", bnn, "--format", "onnx", "--out", bnn},
		{"run", m, "--input", in, "--output", in},
		{"verify", m, "--data", miniData, "--report", m},
		{"verify", bnn, "--data", miniData, "--ref", m, "--report", filepath.Join(dir, "hard.onnx")},
		{m, dir},
		{m, filepath.Join(ck, "finetune.ckpt"), "--data", miniData, "--checkpoint", ck, "--epochs", "1", "--limit", "50"},
		{"finetune", m, "--data", miniData, "--checkpoint", filepath.Join(dir, ".", "ck"), "--out", filepath.Join(ck, "round-1", "finetune.ckpt"), "--epochs", "1", "--limit", "50"},
	}
	for _, args := range cases {
		before := snapshot(t, dir)
		code, _, errOut := run(t, args...)
		if code != ExitUsage {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, errOut)
		}
		sameSnapshot(t, strings.Join(args, " "), before, snapshot(t, dir))
	}
}

// TestOutputIsDataFile: an output that is one of the files a data set is
// read from (an IDX or NPY file, an image of a folder, through a symlink
// too), for every command that reads data, is refused with exit 2 and the
// data stays as it was; a new file beside the data is written.
func TestOutputIsDataFile(t *testing.T) {
	m := testModel("fmnist_tiny.onnx")
	dir := t.TempDir()
	idx := filepath.Join(dir, "idx")
	for _, name := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		b, err := os.ReadFile(filepath.Join(miniData, name))
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(idx, name), b)
	}
	pair := filepath.Join(dir, "npy")
	os.Mkdir(pair, 0o755)
	if err := npy.WriteFile(filepath.Join(pair, "x.npy"), &npy.Array{Shape: []int{8, 28, 28}, DType: "uint8", Data: make([]uint8, 8*28*28)}); err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteFile(filepath.Join(pair, "y.npy"), &npy.Array{Shape: []int{8}, DType: "int64", Data: []int64{0, 1, 2, 3, 4, 5, 6, 7}}); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "images")
	os.Rename(colorFolder(t, 8, 2, 28, 28), folder)
	if err := os.Symlink(filepath.Join("class1", "001.jpg"), filepath.Join(folder, "link.jpg")); err != nil {
		t.Fatal(err)
	}
	small := []string{"--epochs", "1", "--limit", "8"}
	cases := [][]string{
		{m, filepath.Join(idx, "t10k-images-idx3-ubyte.gz"), "--data", idx},
		{m, filepath.Join(dir, "o.bnn"), "--data", pair, "--report", filepath.Join(pair, "y.npy")},
		{m, filepath.Join(folder, "class0", "000.jpg"), "--data", folder},
		{m, filepath.Join(dir, "o.bnn"), "--calib", folder, "--report", filepath.Join(folder, "link.jpg")},
		{m, filepath.Join(dir, "o.bnn"), "--data", idx, "--val", pair, "--report", filepath.Join(pair, "x.npy")},
		{"finetune", m, "--data", filepath.Join(pair, "x.npy"), "--out", filepath.Join(pair, "y.npy")},
		{"verify", m, "--data", folder, "--report", filepath.Join(folder, "class1", "003.jpg")},
	}
	for _, args := range cases {
		args = append(args, "--center-crop", "28") // colorFolder's sizes vary
		if args[0] != "verify" {
			args = append(args, small...)
		}
		before := snapshot(t, dir)
		code, _, errOut := run(t, args...)
		if code != ExitUsage || !strings.Contains(errOut, "a file of the data set") {
			t.Errorf("%q: exit %d, want 2 naming the data set (stderr %q)", args, code, errOut)
		}
		sameSnapshot(t, strings.Join(args, " "), before, snapshot(t, dir))
	}
	if code, _, errOut := run(t, append([]string{m, filepath.Join(pair, "o.bnn"), "--data", pair}, small...)...); code != 0 {
		t.Errorf("a new output beside the data: exit %d (%q)", code, errOut)
	}
}

// TestOutputIsExternalData: an output that is the weights file a model's
// tensors are stored in (external data), directly or through a symlink,
// is refused with exit 2 by every command that reads a model and writes,
// and the model stays loadable; a new file beside it is written.
func TestOutputIsExternalData(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"model.onnx", "weights.bin"} {
		b, err := os.ReadFile(filepath.Join("../../../testdata/onnx/external", name))
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(dir, name), b)
	}
	m, w := filepath.Join(dir, "model.onnx"), filepath.Join(dir, "weights.bin")
	if err := os.Symlink("weights.bin", filepath.Join(dir, "link.bin")); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "x.npy")
	if err := npy.WriteFile(in, &npy.Array{Shape: []int{1, 3, 8, 8}, DType: "float32", Data: make([]float32, 3*8*8)}); err != nil {
		t.Fatal(err)
	}
	bnn := filepath.Join(t.TempDir(), "m.bnn")
	for _, args := range [][]string{
		{m, w},
		{m, filepath.Join(dir, "link.bin")},
		{"pack", m, w},
		{"run", m, "--input", in, "--output", w},
	} {
		before := snapshot(t, dir)
		code, _, errOut := run(t, args...)
		if code != ExitUsage || !strings.Contains(errOut, "external data of the model") {
			t.Errorf("%q: exit %d, want 2 naming the model's external data (stderr %q)", args, code, errOut)
		}
		sameSnapshot(t, strings.Join(args, " "), before, snapshot(t, dir))
	}
	if code, _, errOut := run(t, m, bnn); code != 0 {
		t.Errorf("the model after the refusals: exit %d (%q)", code, errOut)
	}
	if code, _, errOut := run(t, m, filepath.Join(dir, "new.bnn")); code != 0 {
		t.Errorf("a new output beside the weights: exit %d (%q)", code, errOut)
	}
}

// TestOutputNotRegular: an output that names a FIFO (or a device such as
// /dev/null) would be replaced by the renamed temporary, for every program
// that uses it; it is refused with exit 2 and stays what it was. An empty
// positional path (an unset shell variable) is a usage error too.
func TestOutputNotRegular(t *testing.T) {
	dir := t.TempDir()
	m := copyModel(t, dir, "fmnist_tiny.onnx")
	bnn := tinyBNN(t, dir)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "x.npy")
	os.WriteFile(in, []byte("npy"), 0o644)
	for _, args := range [][]string{
		{m, fifo},
		{"export", bnn, "--format", "onnx", "--out", fifo},
		{"run", m, "--input", in, "--output", fifo},
		{m, ""},
		{"pack", m, ""},
		{"inspect", ""},
		{"export", "", "--format", "onnx"},
	} {
		code, _, errOut := run(t, args...)
		if code != ExitUsage {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, errOut)
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Fatalf("%q: the FIFO was replaced (%v)", args, err)
		}
	}
}

// TestFailedRunWritesNothing: a run that fails after its outputs were
// staged leaves the folder as it was: no .bnn and PNGs before a bad
// --report folder, no --output for an empty batch, no folder for a failed
// C export, and no temporaries.
func TestFailedRunWritesNothing(t *testing.T) {
	dir := t.TempDir()
	m := copyModel(t, dir, "fmnist_tiny.onnx")
	empty := filepath.Join(dir, "empty.npy")
	var buf bytes.Buffer
	if err := npy.WriteFloat32(&buf, []int{0, 1, 28, 28}, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(empty, buf.Bytes(), 0o644)
	corrupt := filepath.Join(dir, "corrupt.bnn")
	os.WriteFile(corrupt, []byte("not a model"), 0o644)
	os.WriteFile(filepath.Join(dir, "y.npy"), []byte("old output"), 0o644)
	cases := []struct {
		args []string
		code int
	}{
		{[]string{m, filepath.Join(dir, "o.bnn"), "--data", miniData, "--limit", "64", "--epochs", "1", "--batch-size", "32",
			"--report", filepath.Join(dir, "missing", "r.html")}, ExitFailure},
		{[]string{"run", m, "--input", empty, "--output", filepath.Join(dir, "y.npy"), "--top", "1"}, ExitFailure},
		{[]string{"export", corrupt, "--format", "c", "--out", filepath.Join(dir, "firmware")}, ExitFailure},
		{[]string{"export", corrupt, "--format", "onnx", "--out", filepath.Join(dir, "e.onnx")}, ExitFailure},
		{[]string{"verify", corrupt, "--data", miniData, "--report", filepath.Join(dir, "r.html")}, ExitFailure},
	}
	for _, c := range cases {
		before := snapshot(t, dir)
		code, _, errOut := run(t, c.args...)
		if code != c.code {
			t.Errorf("%q: exit %d, want %d (stderr %q)", c.args, code, c.code, errOut)
		}
		sameSnapshot(t, strings.Join(c.args, " "), before, snapshot(t, dir))
		if entries, _ := os.ReadDir(dir); len(entries) != len(before) {
			t.Errorf("%q: the folder now holds %d entries, was %d", c.args, len(entries), len(before))
		}
	}
}

// TestStaleTemporaryRemoved: a temporary of a killed run (its PID gone) is
// removed by the next run writing the same output; other names stay.
func TestStaleTemporaryRemoved(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "tiny.bnn")
	stale := filepath.Join(dir, ".tiny.bnn.tmp-"+strconv.Itoa(deadPID(t))+"-0badc0de")
	other := filepath.Join(dir, ".tiny.bnn.tmp12345")
	os.WriteFile(stale, []byte("partial"), 0o644)
	os.WriteFile(other, []byte("not ours"), 0o644)
	tinyBNN(t, dir)
	if _, err := os.Stat(stale); err == nil {
		t.Error("the stale temporary of a dead process is still there")
	}
	if _, err := os.Stat(other); err != nil {
		t.Error("a file of another pattern was removed")
	}
	if _, err := os.Stat(out); err != nil {
		t.Error(err)
	}
}

// deadPID is the PID of a process that has exited.
func deadPID(t *testing.T) int {
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Skip("cannot start /bin/true:", err)
	}
	p.Wait()
	return p.Pid
}

// TestOutputMode: outputs are created 0644 less the umask, as os.Create
// would (they were 0600).
func TestOutputMode(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	fi, err := os.Stat(tinyBNN(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
}

// TestInterrupted runs the command as a real process (this test binary,
// re-executed), sends SIGINT, SIGTERM or SIGHUP once its output is staged, and
// checks the exit code, the message and that no file is left; with
// --json, stdout ends with the error document, as on exit 1 and 2, not
// with the last training event.
func TestInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, ExitSIGINT}, {syscall.SIGTERM, ExitSIGTERM}, {syscall.SIGHUP, ExitSIGHUP}} {
		dir := t.TempDir()
		out := filepath.Join(dir, "m.bnn")
		cmd := selfCommand(t, testModel("fmnist_tiny.onnx"), out, "--data", miniData, "--epochs", "50", "--batch-size", "16", "--json")
		var stdout, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { entries, _ := os.ReadDir(dir); return len(entries) > 0 })
		time.Sleep(200 * time.Millisecond)
		cmd.Process.Signal(c.sig)
		err := cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code != c.code || !strings.Contains(errOut.String(), "interrupted") {
			t.Errorf("%v: exit %d (%v), want %d; stderr %q", c.sig, code, err, c.code, errOut.String())
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%v: left %v", c.sig, entries)
		}
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		var last struct {
			Event    string `json:"event"`
			ExitCode int    `json:"exit_code"`
			Error    string `json:"error"`
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Event != "error" || last.ExitCode != c.code || !strings.Contains(last.Error, "interrupted") {
			t.Errorf("%v: stdout's last line %q (%v), want the error document with exit_code %d", c.sig, lines[len(lines)-1], err, c.code)
		}
	}
}

// failingWriter fails every write, as a stdout on a full disk does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestFailedStdoutFailsEveryCommand: a stdout whose write fails (a full
// disk) is exit 1 naming stdout for every command, whether or not the
// command checks its writes (pack, export and run --top did not, and
// exited 0 with their output lost); one that wrote outputs says they are
// complete.
func TestFailedStdoutFailsEveryCommand(t *testing.T) {
	dir := t.TempDir()
	bnn := filepath.Join(dir, "m.bnn")
	for _, c := range []struct {
		args     []string
		complete bool
	}{
		{[]string{"pack", testModel("fmnist_tiny.onnx"), bnn}, true},
		{[]string{"export", bnn, "--format", "onnx", "--out", filepath.Join(dir, "m.onnx")}, true},
		{[]string{"run", bnn, "--input", testModel("fmnist_tiny.input.npy"), "--top", "1"}, false},
		{[]string{"run", bnn, "--input", testModel("fmnist_tiny.input.npy"), "--top", "1", "--output", filepath.Join(dir, "y.npy")}, true},
		{[]string{"inspect", bnn}, false},
		{[]string{"--help"}, false},
	} {
		var errOut bytes.Buffer
		code := Main(c.args, IO{In: strings.NewReader(""), Out: failingWriter{}, ErrOut: &errOut})
		if code != ExitFailure || !strings.Contains(errOut.String(), "no space left on device") || strings.Contains(errOut.String(), "are complete") != c.complete {
			t.Errorf("%q: exit %d, stderr %q; want 1 naming the failed write (outputs complete: %v)", c.args, code, errOut.String(), c.complete)
		}
	}
}

// TestFailureAfterCommitSaysOutputsComplete: the --json summary, written
// once the .bnn is in place, failing on a full stdout exits 1 and says the
// outputs are there and complete, not as if the run had written nothing.
func TestFailureAfterCommitSaysOutputsComplete(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.bnn")
	var errOut bytes.Buffer
	code := Main([]string{testModel("fmnist_tiny.onnx"), out, "--json", "-q"}, IO{In: strings.NewReader(""), Out: failingWriter{}, ErrOut: &errOut})
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("the .bnn is not there: %v (stderr %q)", err, errOut.String())
	}
	if code != ExitFailure || !strings.Contains(errOut.String(), "no space left on device") || !strings.Contains(errOut.String(), "are complete") {
		t.Errorf("exit %d, stderr %q; want 1 saying the outputs are complete", code, errOut.String())
	}
}

// TestNohup: a run started with SIGHUP ignored (nohup) keeps running
// through a hangup, and SIGINT still stops it.
func TestNohup(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command("/bin/sh", "-c", `trap "" HUP && exec "$0" "$@"`, self, testModel("fmnist_tiny.onnx"), filepath.Join(dir, "m.bnn"), "--data", miniData, "--epochs", "50", "--batch-size", "16")
	cmd.Env = append(os.Environ(), "BINCOMPRESS_TEST_MAIN=1")
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { entries, _ := os.ReadDir(dir); return len(entries) > 0 })
	time.Sleep(200 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != ExitSIGINT {
		t.Errorf("exit %d (%v), want %d: the ignored hangup stopped it; stderr %q", code, cmd.ProcessState, ExitSIGINT, errOut.String())
	}
}

// TestBrokenPipe: a reader that closes stdout after the first line of the
// --json log (`| head -1`) stops the run, exit 141, quietly as Unix tools
// do, with no temporaries left; the process used to die of SIGPIPE at its
// next line, leaving them.
func TestBrokenPipe(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	cmd := selfCommand(t, testModel("fmnist_tiny.onnx"), filepath.Join(dir, "m.bnn"), "--data", miniData, "--epochs", "50", "--batch-size", "16", "--json")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := bufio.NewReader(r).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	r.Close()
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != ExitSIGPIPE || strings.Contains(errOut.String(), "interrupted") {
		t.Errorf("exit %d (%v), want %d and no message; stderr %q", code, cmd.ProcessState, ExitSIGPIPE, errOut.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v", entries)
	}
	// A write that fails on the closed pipe before the signal ends the
	// process ends it the same way, not with exit 1 and "broken pipe".
	for range 10 {
		cmd := selfCommand(t, "inspect", testModel("resnet20_cifar_op17.onnx"))
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		var errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = w, &errOut
		err = cmd.Run()
		w.Close()
		if code := cmd.ProcessState.ExitCode(); code != ExitSIGPIPE || errOut.Len() > 0 {
			t.Fatalf("inspect into a closed pipe: exit %d (%v), want %d; stderr %q", code, err, ExitSIGPIPE, errOut.String())
		}
	}
}

// TestInterruptedAfterCommit: a signal that arrives once the outputs are in
// place (here while the --json summary waits on a full stdout pipe) says
// they are complete, not that nothing was written.
func TestInterruptedAfterCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "m.bnn")
	cmd := selfCommand(t, testModel("fmnist_tiny.onnx"), out, "--data", miniData, "--limit", "200", "--epochs", "1", "--json")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, 4096) // the summary alone is larger, and nothing reads it
	var errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	waitFor(t, func() bool { _, err := os.Stat(out); return err == nil })
	time.Sleep(200 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	if msg := errOut.String(); !strings.Contains(msg, "after the outputs were written") || strings.Contains(msg, "no output was written") {
		t.Errorf("stderr %q", msg)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("the committed output went: %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out waiting")
}

// TestCheckpointFolderCheckedFirst: a --checkpoint folder that cannot be
// made (under a file) fails before any training, not after the first
// epoch, and a new nested one is fine.
func TestCheckpointFolderCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "notadir")
	os.WriteFile(file, nil, 0o644)
	base := []string{testModel("fmnist_tiny.onnx"), filepath.Join(dir, "m.bnn"), "--data", miniData, "--limit", "64", "--epochs", "1", "--json"}
	code, out, errOut := run(t, append(base, "--checkpoint", filepath.Join(file, "ck"))...)
	if code != ExitFailure || !strings.Contains(errOut, "not a folder") || strings.Contains(out, `"epoch"`) {
		t.Errorf("checkpoint under a file: exit %d, stderr %q; want 1 before the first epoch", code, errOut)
	}
	if code, _, errOut := run(t, append(base, "--checkpoint", filepath.Join(dir, "a", "b"))...); code != 0 {
		t.Errorf("a new nested checkpoint folder: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "a", "b", "finetune.ckpt")); err != nil {
		t.Errorf("no checkpoint written: %v", err)
	}
}
