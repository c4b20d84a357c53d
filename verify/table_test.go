package verify

import (
	"fmt"
	"strings"
	"testing"
)

// TestTableShowsWorstClasses: a 1000-class report prints its 20 worst
// classes and says how many are left out (it printed 1000 rows); a small
// one prints every class in order.
func TestTableShowsWorstClasses(t *testing.T) {
	r := &Report{Schema: SchemaVersion, Images: 1000, Classes: 1000, Passed: true}
	for c := range 1000 {
		acc := 0.5 + float64((c*7919)%1000)/2000 // a permutation of accuracies
		r.PerClass = append(r.PerClass, ClassStats{Class: c, Images: 1, Accuracy: acc})
	}
	var b strings.Builder
	if err := WriteTable(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	rows := 0
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 4 && strings.Contains(f[2], ".") && f[3] == "-" {
			rows++
			if acc := r.PerClass[atoi(t, f[0])].Accuracy; acc >= 0.51 {
				t.Errorf("row %q is not among the worst classes (accuracy %v)", l, acc)
			}
		}
	}
	if rows != MaxTableClasses || !strings.Contains(out, "980 more classes not shown") {
		t.Errorf("%d class rows; output:\n%s", rows, out)
	}
	small := &Report{Schema: SchemaVersion, Classes: 3, Passed: true, PerClass: r.PerClass[:3]}
	b.Reset()
	WriteTable(&b, small)
	if strings.Contains(b.String(), "not shown") || !strings.Contains(b.String(), "\n2 ") {
		t.Errorf("small table:\n%s", b.String())
	}
}

// TestVerdict: PASSED only when a gate was set and held.
func TestVerdict(t *testing.T) {
	r := &Report{Passed: true}
	if v := r.Verdict(); !strings.HasPrefix(v, "NO GATE SET") {
		t.Errorf("no gate: %q", v)
	}
	min := 0.5
	r.Accuracy = 0.9
	if err := r.ApplyGate(Gate{MinAccuracy: &min}); err != nil || r.Verdict() != "PASSED" || !r.Gated {
		t.Errorf("gate held: %q, %v", r.Verdict(), err)
	}
	r.Accuracy = 0.1
	r.ApplyGate(Gate{MinAccuracy: &min})
	if r.Verdict() != "FAILED" {
		t.Errorf("gate crossed: %q", r.Verdict())
	}
}

func atoi(t *testing.T, s string) int {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
