package verify

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/bincompress/bincompress/internal/termtext"
)

// MaxTableClasses bounds the per-class rows WriteTable prints; a larger
// report shows its worst classes (every class is in the JSON and HTML).
const MaxTableClasses = 20

// WriteTable prints the report for people: the model, the summary, then
// per-class accuracy, then the verdict: PASSED, FAILED with the reasons, or
// NO GATE SET when no threshold was given (nothing was judged).
func WriteTable(w io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	if r.Model != nil {
		fmt.Fprintf(tw, "model\t%s\n", r.Model.Path)
		fmt.Fprintf(tw, "digest\t%s\n", r.Model.Digest)
		if len(r.Model.Preprocess) > 0 {
			fmt.Fprintf(tw, "preprocessing\t%s\n", r.Model.Preprocess)
		}
	}
	fmt.Fprintf(tw, "images\t%d\n", r.Images)
	fmt.Fprintf(tw, "top-1\t%.4f\n", r.Accuracy)
	if r.Classes > 0 && r.Classes <= 5 {
		// every label is among the top 5 of 5 or fewer outputs
		fmt.Fprintf(tw, "top-5\t%.4f (every image: %d classes)\n", r.Top5, r.Classes)
	} else {
		fmt.Fprintf(tw, "top-5\t%.4f\n", r.Top5)
	}
	if r.ReferenceAccuracy != nil {
		fmt.Fprintf(tw, "reference top-1\t%.4f\n", *r.ReferenceAccuracy)
		fmt.Fprintf(tw, "drop\t%+.4f\n", *r.Drop)
		fmt.Fprintf(tw, "agreement\t%.4f\n", *r.Agreement)
		fmt.Fprintf(tw, "|logit diff| mean/max\t%.4g / %.4g\n", *r.MeanAbsLogitDiff, *r.MaxAbsLogitDiff)
	}
	classes, hidden := worstClasses(r.PerClass, MaxTableClasses)
	if hidden > 0 {
		fmt.Fprintf(tw, "\nthe %d classes with the lowest top-1 of %d\n", len(classes), len(r.PerClass))
	}
	fmt.Fprintln(tw, "\nclass\timages\ttop-1\treference")
	for _, c := range classes {
		ref := "-"
		if c.ReferenceAccuracy != nil {
			ref = fmt.Sprintf("%.4f", *c.ReferenceAccuracy)
		}
		acc := "-"
		if c.Images > 0 {
			acc = fmt.Sprintf("%.4f", c.Accuracy)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", c.label(), c.Images, acc, ref)
	}
	if hidden > 0 {
		fmt.Fprintf(tw, "(%d more classes not shown; the JSON and HTML reports list all)\n", hidden)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\n"+r.Verdict())
	for _, f := range r.Failures {
		fmt.Fprintf(w, "  %s\n", f)
	}
	return err
}

// Verdict is "PASSED", "FAILED" or, when no threshold was given, "NO GATE
// SET (...)": a report without a gate passes nothing.
func (r *Report) Verdict() string {
	switch {
	case !r.Passed:
		return "FAILED"
	case !r.Gated:
		return "NO GATE SET (give --max-drop or --min-accuracy to fail on accuracy)"
	}
	return "PASSED"
}

// worstClasses returns at most n classes, lowest accuracy first (ties by
// class index), and how many were left out; all of them, in class order,
// when there are at most n. A class without images has no accuracy (its
// 0 measures nothing): it comes after every class that has one.
func worstClasses(all []ClassStats, n int) ([]ClassStats, int) {
	if len(all) <= n {
		return all, 0
	}
	s := append([]ClassStats(nil), all...)
	sort.SliceStable(s, func(i, j int) bool {
		if (s[i].Images == 0) != (s[j].Images == 0) {
			return s[j].Images == 0
		}
		return s[i].Accuracy < s[j].Accuracy
	})
	return s[:n], len(all) - n
}

// label is the class's row heading; its name comes from the data set (a
// folder's name), so its control characters, tabs included, are replaced.
func (c ClassStats) label() string {
	if c.Name != "" {
		return fmt.Sprintf("%d %s", c.Class, termtext.Clean(c.Name))
	}
	return fmt.Sprint(c.Class)
}
