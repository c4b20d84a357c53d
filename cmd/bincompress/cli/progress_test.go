package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestProgressOffTerminal: off a terminal a phase prints a line with
// count, rate and ETA at every interval, even with no update in between
// (a slow batch), and a closing line; --quiet prints nothing.
func TestProgressOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	l := newLogger(IO{ErrOut: &buf, Out: &buf}, false, false)
	l.every = 20 * time.Millisecond
	p := l.progress("layer sensitivity", 40, "layers")
	p.set(10, "worst so far conv3")
	time.Sleep(70 * time.Millisecond)
	p.add(30)
	p.finish()
	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 {
		t.Fatalf("want at least two interval lines and a closing one, got %q", out)
	}
	for _, want := range []string{"layer sensitivity: 10/40 layers (25%)", "layers/s", "ETA", "worst so far conv3", "layer sensitivity: done, 40/40 layers"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output lacks %q:\n%s", want, out)
		}
	}
	buf.Reset()
	q := newLogger(IO{ErrOut: &buf, Out: &buf}, true, false)
	qp := q.progress("x", 10, "batches")
	qp.set(5, "")
	qp.finish()
	q.printf("a log line")
	if buf.Len() != 0 {
		t.Errorf("--quiet printed %q", buf.String())
	}
}

// TestProgressOnTerminal: on a terminal the phase is a bar with an ETA
// (schollz/progressbar), and a log line clears it first.
func TestProgressOnTerminal(t *testing.T) {
	var buf bytes.Buffer
	l := newLogger(IO{ErrOut: &buf, Out: &buf, IsTerminal: true}, false, false)
	p := l.progress("fine-tuning epoch 1/2", 50, "batches")
	for i := 1; i <= 50; i++ {
		p.set(i, "loss 0.5")
		time.Sleep(3 * time.Millisecond)
	}
	l.printf("a log line")
	p.finish()
	out := buf.String()
	if !strings.Contains(out, "fine-tuning epoch 1/2") || !strings.Contains(out, "\r") || !strings.Contains(out, "a log line\n") {
		t.Errorf("no bar drawn: %q", out)
	}
	if !strings.Contains(out, ":") || !strings.Contains(out, "batches/s") {
		t.Errorf("the bar shows no rate or ETA: %q", out)
	}
}

// TestTrainingPhasesReportProgress: a fine-tuning run off a terminal
// reports BN re-estimation, held-out evaluation and each epoch as phases (it
// printed one line per epoch and nothing for BN or evaluation).
func TestTrainingPhasesReportProgress(t *testing.T) {
	code, _, errOut := run(t, testModel("fmnist_tiny.onnx"), filepath.Join(t.TempDir(), "m.bnn"), "--data", miniData,
		"--limit", "200", "--epochs", "1", "--batch-size", "50", "--mean", "0.2860", "--std", "0.3530")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"BatchNormalization re-estimation: done", "held-out evaluation: done", "fine-tuning epoch 1/1: done", "verification: done, 200/200 images"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

// TestProgressRateReadable: a fast phase's rate is a plain number; it
// read "1.84e+03 images/s".
func TestProgressRateReadable(t *testing.T) {
	l := newLogger(IO{ErrOut: &bytes.Buffer{}, Out: &bytes.Buffer{}}, false, false)
	p := l.progress("verification", 4000, "images")
	defer p.finish()
	p.set(1840, "")
	for elapsed, want := range map[time.Duration]string{time.Second: ", 1840 images/s, ", 100 * time.Second: ", 18.4 images/s, "} {
		if got := p.figures(elapsed); !strings.Contains(got, want) {
			t.Errorf("after %v: %q lacks %q", elapsed, got, want)
		}
	}
}

// TestDumbTerminalGetsLines: on a terminal with TERM=dumb, which cannot
// redraw a line, progress is printed as lines, as off a terminal; it drew
// the bar there too. Needs script(1) to give the command a terminal.
func TestDumbTerminalGetsLines(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) not installed: no terminal to test on")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bnn := tinyBNN(t, t.TempDir())
	for termName, bar := range map[string]bool{"xterm": true, "dumb": false} {
		line := fmt.Sprintf("%s verify %s --data %s --limit 200 --json > /dev/null", exe, bnn, miniData)
		cmd := exec.Command("script", "-qec", line, "/dev/null")
		cmd.Env = append(os.Environ(), "BINCOMPRESS_TEST_MAIN=1", "TERM="+termName)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("TERM=%s: %v\n%s", termName, err, out)
		}
		if drawn := strings.Contains(string(out), "| ("); drawn != bar || !bar && !strings.Contains(string(out), "verification: done") {
			t.Errorf("TERM=%s: bar drawn %v, want %v:\n%q", termName, drawn, bar, out)
		}
	}
}
