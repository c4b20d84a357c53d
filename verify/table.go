package verify

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints the report for people: the summary, then per-class
// accuracy, then the verdict.
func WriteTable(w io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintf(tw, "images\t%d\n", r.Images)
	fmt.Fprintf(tw, "top-1\t%.4f\n", r.Accuracy)
	fmt.Fprintf(tw, "top-5\t%.4f\n", r.Top5)
	if r.ReferenceAccuracy != nil {
		fmt.Fprintf(tw, "reference top-1\t%.4f\n", *r.ReferenceAccuracy)
		fmt.Fprintf(tw, "drop\t%+.4f\n", *r.Drop)
		fmt.Fprintf(tw, "agreement\t%.4f\n", *r.Agreement)
		fmt.Fprintf(tw, "|logit diff| mean/max\t%.4g / %.4g\n", *r.MeanAbsLogitDiff, *r.MaxAbsLogitDiff)
	}
	if r.ONNXRuntimeMaxDiff != nil {
		fmt.Fprintf(tw, "onnxruntime max diff\t%.3g\n", *r.ONNXRuntimeMaxDiff)
	}
	fmt.Fprintln(tw, "\nclass\timages\ttop-1\treference")
	for _, c := range r.PerClass {
		ref := "-"
		if c.ReferenceAccuracy != nil {
			ref = fmt.Sprintf("%.4f", *c.ReferenceAccuracy)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%s\n", c.label(), c.Images, c.Accuracy, ref)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Passed {
		_, err := fmt.Fprintln(w, "\nPASSED")
		return err
	}
	fmt.Fprintln(w, "\nFAILED")
	for _, f := range r.Failures {
		fmt.Fprintf(w, "  %s\n", f)
	}
	return nil
}

func (c ClassStats) label() string {
	if c.Name != "" {
		return fmt.Sprintf("%d %s", c.Class, c.Name)
	}
	return fmt.Sprint(c.Class)
}
