package reftest

import (
	"os"
	"strings"
	"testing"
)

// ONNXTestData is where Debian's libonnx-testdata puts ONNX's backend tests
// (node/, pytorch-converted/, pytorch-operator/).
const ONNXTestData = "/usr/share/libonnx-testdata/data"

// NeedONNXTestData skips the test when libonnx-testdata is missing, except
// under CI=true, where it is installed and its absence is a failure.
func NeedONNXTestData(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(ONNXTestData); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Debian package libonnx-testdata is required in CI: %v", err)
		}
		t.Skipf("Debian package libonnx-testdata not installed (%v)", err)
	}
}

// CheckGolden compares got with the golden file at path (a list of lines,
// such as a conformance test's skips and their reasons), or rewrites the
// file when update is set.
func CheckGolden(t testing.TB, path, got string, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update to accept):\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff lists lines only in want (-) or only in got (+).
func lineDiff(want, got string) string {
	w, g := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(want, "\n") {
		w[l] = true
	}
	var out []string
	for _, l := range strings.Split(got, "\n") {
		g[l] = true
		if !w[l] {
			out = append(out, "+ "+l)
		}
	}
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			out = append(out, "- "+l)
		}
	}
	return strings.Join(out, "\n")
}
