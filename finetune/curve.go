package finetune

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// WriteCurve draws the training curve (loss, training and validation
// accuracy per epoch) as a PNG at path, written atomically.
func WriteCurve(path string, epochs []EpochStats) error {
	if len(epochs) == 0 {
		return fmt.Errorf("finetune: no epochs to plot")
	}
	p := plot.New()
	p.Title.Text = "fine-tuning"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "loss / accuracy"
	series := []struct {
		name string
		get  func(EpochStats) float64
	}{
		{"loss", func(e EpochStats) float64 { return e.Loss }},
		{"train accuracy", func(e EpochStats) float64 { return e.TrainAcc }},
		{"validation accuracy", func(e EpochStats) float64 { return e.ValAcc }},
	}
	for i, s := range series {
		if err := addLine(p, i, s.name, epochs, s.get); err != nil {
			return err
		}
	}
	w, err := p.WriterTo(6*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("finetune: plotting: %w", err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return fmt.Errorf("finetune: plotting: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("finetune: %w", err)
	}
	return writeAtomic(path, buf.Bytes())
}

// addLine adds one series, skipping NaN points (no validation data).
func addLine(p *plot.Plot, i int, name string, epochs []EpochStats, get func(EpochStats) float64) error {
	var pts plotter.XYs
	for _, e := range epochs {
		if v := get(e); !math.IsNaN(v) {
			pts = append(pts, plotter.XY{X: float64(e.Epoch), Y: v})
		}
	}
	if len(pts) == 0 {
		return nil
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return fmt.Errorf("finetune: plotting %s: %w", name, err)
	}
	l.Color = plotutil.Color(i)
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}
