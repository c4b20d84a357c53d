package verify

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bincompress/bincompress/ir"
)

func sampleReport(t *testing.T) *Report {
	r := &Report{Schema: SchemaVersion, Images: 4, Classes: 2, Accuracy: 0.75, Top5: 1,
		ReferenceAccuracy: ptr(1), Drop: ptr(0.25), Agreement: ptr(0.75),
		MeanAbsLogitDiff: ptr(0.1), MaxAbsLogitDiff: ptr(0.4),
		PerClass:  []ClassStats{{Class: 0, Name: "T-shirt/top", Images: 2, Accuracy: 0.5, ReferenceAccuracy: ptr(1)}, {Class: 1, Name: "<Trouser>", Images: 2, Accuracy: 1, ReferenceAccuracy: ptr(1)}},
		Confusion: [][]int{{1, 1}, {0, 2}}}
	if err := r.ApplyGate(Gate{MaxDrop: ptr(0.01)}); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHTMLIsSelfContainedAndEscaped(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, "fmnist <check>", sampleReport(t), []Image{{"loss", []byte{0x89, 'P', 'N', 'G'}}}, sampleLayers()); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"FAILED", "&lt;Trouser&gt;", "data:image/png;base64,", "fmnist &lt;check&gt;", "75.00%",
		"<td>conv0</td>", "float: kept float by --keep-float auto", "<td>12.50%</td>", "binary (channel)",
		"100.00% (every image: 2 classes)"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, banned := range []string{"http://", "https://", "<script"} {
		if strings.Contains(page, banned) {
			t.Errorf("page is not self-contained: contains %q", banned)
		}
	}
}

// TestHTMLVerdictStyle: a report without a gate judged nothing; its
// verdict, NO GATE SET, was styled as a pass (bold green, as PASSED).
func TestHTMLVerdictStyle(t *testing.T) {
	r := sampleReport(t)
	for _, c := range []struct {
		gate Gate
		want string
	}{{Gate{}, `<p class="nogate">NO GATE SET`}, {Gate{MaxDrop: ptr(0.5)}, `<p class="pass">PASSED`}, {Gate{MaxDrop: ptr(0.01)}, `<p class="fail">FAILED`}} {
		if err := r.ApplyGate(c.gate); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteHTML(&buf, "verdict", r, nil, nil); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), c.want) {
			t.Errorf("gate %+v: page lacks %q", c.gate, c.want)
		}
	}
}

// TestHTMLLargeConfusionLeftToJSON: the page drew a cell per pair of
// classes, 45 MB for 1000 classes; past MaxConfusionClasses it says
// the JSON holds the matrix, and every class still has its row.
func TestHTMLLargeConfusionLeftToJSON(t *testing.T) {
	for _, n := range []int{MaxConfusionClasses, MaxConfusionClasses + 1} {
		r := &Report{Schema: SchemaVersion, Images: n, Classes: n, Passed: true, Confusion: make([][]int, n)}
		for i := range r.Confusion {
			r.Confusion[i] = make([]int, n)
			r.Confusion[i][i] = 1
			r.PerClass = append(r.PerClass, ClassStats{Class: i, Images: 1, Accuracy: 1})
		}
		var buf bytes.Buffer
		if err := WriteHTML(&buf, "many classes", r, nil, nil); err != nil {
			t.Fatal(err)
		}
		page := buf.String()
		drawn := strings.Contains(page, `<table class="conf">`)
		if drawn != (n <= MaxConfusionClasses) || !drawn && !strings.Contains(page, fmt.Sprintf("%d classes: too many to draw here", n)) {
			t.Errorf("%d classes: matrix drawn %v", n, drawn)
		}
		if rows := strings.Count(page, "<td>100.00%</td>"); rows != n {
			t.Errorf("%d classes: %d per-class rows", n, rows)
		}
	}
}

// TestHTMLRendersInChromium renders the page headless to a PNG.
func TestHTMLRendersInChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed; .ci/run installs the Debian package chromium")
		}
		t.Skip("chromium not installed (Debian package chromium): cannot render the HTML report")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var buf bytes.Buffer
	if err := WriteHTML(&buf, "render check", sampleReport(t), nil, sampleLayers()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "report.png")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size=1000,1400",
		"--screenshot="+shot, "file://"+page)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("chromium failed: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, out)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 500 {
		t.Errorf("screenshot is only %v", b)
	}
}

// sampleLayers is a plan with one layer kept float by --keep-float auto.
func sampleLayers() []ir.LayerRecord {
	s := 0.125
	return []ir.LayerRecord{
		{Node: "conv0", Op: "Conv", Shape: []int{8, 1, 3, 3}, Reason: "kept float by --keep-float auto", Sensitivity: &s, FloatBytes: 288, BinaryBytes: 128},
		{Node: "fc", Op: "Gemm", Shape: []int{10, 8}, Binarized: true, Scale: ir.ScaleChannel, FloatBytes: 320, BinaryBytes: 160},
	}
}
