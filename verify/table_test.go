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
	// With 3 classes every label is in the top 5: the table says so
	// rather than print a top-5 of 1 as a measurement; 1000 classes do not.
	if !strings.Contains(b.String(), "(every image: 3 classes)") || strings.Contains(out, "every image") {
		t.Errorf("top-5 of 3 classes not marked, or of 1000 marked:\n%s\n%s", b.String(), out)
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

// TestClassesWithoutImages: a class with no test image (a --limit, a small
// test split) has no accuracy: the table and the HTML show "-" for it, not
// 0.0000, and a large table does not list such classes as its worst ones,
// ahead of the classes that really do worst.
func TestClassesWithoutImages(t *testing.T) {
	r := &Report{Schema: SchemaVersion, Images: 25, Classes: 50, Passed: true, Confusion: [][]int{}}
	for c := range 50 {
		cs := ClassStats{Class: c}
		if c%2 == 0 {
			cs.Images, cs.Accuracy = 1, 0.5+float64(c)/100
		}
		r.PerClass = append(r.PerClass, cs)
	}
	var b strings.Builder
	if err := WriteTable(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(b.String(), "\n") {
		f := strings.Fields(l)
		if len(f) != 4 || f[3] != "-" || f[0] == "class" {
			continue
		}
		if c := atoi(t, f[0]); c%2 == 1 || c >= 2*MaxTableClasses {
			t.Errorf("row %q: not one of the %d worst classes that have images", l, MaxTableClasses)
		}
	}
	small := &Report{Schema: SchemaVersion, Classes: 2, Passed: true, Confusion: [][]int{},
		PerClass: []ClassStats{{Class: 0, Images: 1, Accuracy: 1}, {Class: 1}}}
	b.Reset()
	WriteTable(&b, small)
	if !strings.Contains(b.String(), "\n1      0       -") {
		t.Errorf("a class without images shows an accuracy:\n%s", b.String())
	}
	var page strings.Builder
	if err := WriteHTML(&page, "empty class", small, nil, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), "<td>1 </td><td>0</td><td>–</td>") {
		t.Errorf("the HTML shows an accuracy for a class without images:\n%s", page.String())
	}
}

// TestTableClassNamesClean: class names are folder names of the data set;
// a control character in one reached the terminal raw and a tab split its
// row into one more column. Both are replaced; the JSON keeps the name.
func TestTableClassNamesClean(t *testing.T) {
	r := &Report{Schema: SchemaVersion, Images: 1, Classes: 1, Passed: true,
		PerClass: []ClassStats{{Class: 0, Name: "\x1b[2Jred\tcar", Images: 1, Accuracy: 1}}}
	var b strings.Builder
	if err := WriteTable(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "0 ?[2Jred?car  1       1.0000  -") {
		t.Errorf("class row not cleaned:\n%q", b.String())
	}
}
