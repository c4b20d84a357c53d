package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestHelpExamplesRun runs every example of every command's --help, in
// order, in a folder where testdata is the repository's: the examples are
// documentation, and documentation that does not run is wrong. `> FILE`
// and `| jq .KEY` (the key must be present and not null) are honoured. An
// example exits 0, or 3 only when the comment above it says "exit 3": a
// reader who copies a gate that fails unannounced thinks the tool broke.
// Examples naming the full Fashion-MNIST (/usr/share/datasets) run on its
// first 200 images for one epoch, and need the package installed.
func TestHelpExamplesRun(t *testing.T) {
	repo, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(repo, "testdata"), filepath.Join(dir, "testdata")); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	root := newRootCmd(IO{Out: io.Discard, ErrOut: io.Discard})
	ran := 0
	for _, cmd := range examplesInOrder(root) {
		for _, ex := range exampleLines(cmd.Example) {
			line := ex.line
			if strings.Contains(line, fmnistDir) {
				if _, err := os.Stat(filepath.Join(fmnistDir, "t10k-images-idx3-ubyte.gz")); err != nil {
					needFMNIST(t) // fails under CI=true, skips elsewhere
				}
				line = withArgs(line, "--limit 200 --epochs 1")
			}
			runExample(t, line, strings.Contains(ex.comment, "exit 3"))
			ran++
		}
	}
	if ran < 10 {
		t.Errorf("only %d examples found", ran)
	}
}

// examplesInOrder puts the commands whose examples make files others read
// first: the main command (tiny.bnn), then finetune (ckpt.onnx for pack).
func examplesInOrder(root *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{root}
	var rest []*cobra.Command
	for _, c := range root.Commands() {
		if c.Name() == "finetune" {
			out = append(out, c)
		} else {
			rest = append(rest, c)
		}
	}
	return append(out, rest...)
}

type example struct {
	line    string // the command, continued lines joined
	comment string // the comment lines above it, since the last command
}

// exampleLines joins continued lines, drops blanks and keeps each command's
// comment.
func exampleLines(text string) []example {
	var out []example
	cur, comment := "", ""
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "#") {
			comment += l + "\n"
			continue
		}
		cont := strings.HasSuffix(l, "\\")
		cur += strings.TrimSuffix(l, "\\") + " "
		if !cont {
			out = append(out, example{strings.TrimSpace(cur), comment})
			cur, comment = "", ""
		}
	}
	return out
}

func runExample(t *testing.T, line string, mayFailGate bool) {
	t.Helper()
	if strings.ContainsAny(line, `"'$;&`) {
		t.Fatalf("example %q uses shell syntax this test does not run", line)
	}
	cmdPart, jqKey := line, ""
	if i := strings.Index(line, "|"); i >= 0 {
		cmdPart = line[:i]
		jq := strings.Fields(line[i+1:])
		if len(jq) != 2 || jq[0] != "jq" || !strings.HasPrefix(jq[1], ".") {
			t.Fatalf("example %q: only `| jq .KEY` is supported", line)
		}
		jqKey = strings.TrimPrefix(jq[1], ".")
	}
	redirect := ""
	if i := strings.Index(cmdPart, ">"); i >= 0 {
		redirect = strings.TrimSpace(cmdPart[i+1:])
		cmdPart = cmdPart[:i]
	}
	args := strings.Fields(cmdPart)
	if len(args) == 0 || args[0] != "bincompress" {
		t.Fatalf("example %q does not start with bincompress", line)
	}
	var out, errOut bytes.Buffer
	code := Main(args[1:], IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	if code != 0 && !(mayFailGate && code == ExitGate) {
		t.Errorf("example %q: exit %d: %s", line, code, errOut.String())
		return
	}
	if redirect != "" {
		if err := os.WriteFile(redirect, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if jqKey != "" {
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil || len(doc[jqKey]) == 0 || string(doc[jqKey]) == "null" {
			t.Errorf("example %q: .%s is null or missing (%v)", line, jqKey, err)
		}
	}
}

// withArgs inserts extra arguments before any redirection or pipe.
func withArgs(line, extra string) string {
	if i := strings.IndexAny(line, ">|"); i >= 0 {
		return strings.TrimSpace(line[:i]) + " " + extra + " " + line[i:]
	}
	return line + " " + extra
}
