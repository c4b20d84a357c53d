package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/bincompress/bincompress/finetune"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/pack"
	"github.com/bincompress/bincompress/verify"
)

// history is the training curve: the loss every few batches and the
// accuracies at the end of each epoch.
type history struct {
	Steps  []float64 `json:"steps"` // fractional epochs
	Loss   []float64 `json:"loss"`
	Epochs []int     `json:"epochs"`
	Train  []float64 `json:"train_accuracy"`
	Val    []float64 `json:"val_accuracy,omitempty"`
}

// curveFileStem names the PNG of each curve beside the output.
var curveFileStem = map[string]string{"training loss": "loss", "accuracy per epoch": "accuracy"}

// historyOf is the curve of a fine-tuning run (empty for nil: none ran).
func historyOf(res *finetune.Result) history {
	var h history
	if res == nil {
		return h
	}
	for _, p := range res.Loss {
		h.Steps = append(h.Steps, round4(p.Step))
		h.Loss = append(h.Loss, round4(p.Loss))
	}
	for _, e := range res.Epochs {
		h.Epochs = append(h.Epochs, e.Epoch)
		h.Train = append(h.Train, e.TrainAcc)
		if !math.IsNaN(e.ValAcc) {
			h.Val = append(h.Val, e.ValAcc)
		}
	}
	return h
}

// round4 keeps four decimals: the curve is for the eye, and the .bnn
// carries it, so it should stay small.
func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

func (h *history) empty() bool { return len(h.Loss) == 0 && len(h.Epochs) == 0 }

// store records the curve in the model's metadata.
func (h *history) store(m *ir.Model) {
	if h.empty() {
		return
	}
	raw, _ := json.Marshal(h)
	m.SetMetadata(pack.KeyTraining, string(raw))
}

// loadHistory reads the curve a .bnn carries: nil when it has none, and an
// error saying why when it cannot be drawn (the digest does not cover
// bnn.training, so an edited file can hold anything).
func loadHistory(m *ir.Model) (*history, error) {
	v, ok := m.MetadataValue(pack.KeyTraining)
	if !ok {
		return nil, nil
	}
	var h history
	if err := json.Unmarshal([]byte(v), &h); err != nil {
		return nil, fmt.Errorf("%s is not a training curve: %w", pack.KeyTraining, err)
	}
	if h.empty() {
		return nil, nil
	}
	if err := h.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", pack.KeyTraining, err)
	}
	return &h, nil
}

// maxPlotted bounds the magnitude of the steps, losses and epochs a curve
// may hold. The plot library loops forever on a range whose span overflows
// float64 (a loss from -1e308 to 1e308), and panics on a flat one that
// widening by ±1 leaves flat (every loss 1e308); below 2^52 neither can
// happen, and no run comes near it.
const maxPlotted = 1 << 52

// check refuses a curve no run writes: series that do not pair up (images
// plots x against y point by point; held-out accuracies that do not pair
// up are left out), and values out of their range (the loss alone may dip
// below 0, by rounding).
func (h *history) check() error {
	if len(h.Steps) != len(h.Loss) {
		return fmt.Errorf("%d steps but %d losses", len(h.Steps), len(h.Loss))
	}
	if len(h.Train) != len(h.Epochs) {
		return fmt.Errorf("%d epochs but %d training accuracies", len(h.Epochs), len(h.Train))
	}
	epochs := make([]float64, len(h.Epochs))
	for i, e := range h.Epochs {
		epochs[i] = float64(e)
	}
	for _, s := range []struct {
		name     string
		xs       []float64
		min, max float64
	}{{"steps", h.Steps, 0, maxPlotted}, {"loss", h.Loss, -maxPlotted, maxPlotted}, {"epochs", epochs, 0, maxPlotted},
		{"train_accuracy", h.Train, 0, 1}, {"val_accuracy", h.Val, 0, 1}} {
		for i, x := range s.xs {
			if !(x >= s.min && x <= s.max) { // NaN fails both
				return fmt.Errorf("%s[%d] is %v, outside [%v, %v]", s.name, i, x, s.min, s.max)
			}
		}
	}
	return nil
}

// images draws the loss and accuracy curves as PNGs.
func (h *history) images() ([]verify.Image, error) {
	var out []verify.Image
	if len(h.Loss) > 0 {
		png, err := linePNG("training loss", "epoch", "loss", map[string][]float64{"loss": h.Loss}, h.Steps)
		if err != nil {
			return nil, err
		}
		out = append(out, verify.Image{Title: "training loss", PNG: png})
	}
	if len(h.Epochs) > 0 {
		xs := make([]float64, len(h.Epochs))
		for i, e := range h.Epochs {
			xs[i] = float64(e)
		}
		series := map[string][]float64{"train": h.Train}
		if len(h.Val) == len(xs) {
			series["validation"] = h.Val
		}
		png, err := linePNG("accuracy per epoch", "epoch", "top-1 accuracy", series, xs)
		if err != nil {
			return nil, err
		}
		out = append(out, verify.Image{Title: "accuracy per epoch", PNG: png})
	}
	return out, nil
}

// linePNG plots one line per series over xs, in a fixed series order.
func linePNG(title, xLabel, yLabel string, series map[string][]float64, xs []float64) ([]byte, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xLabel, yLabel
	for i, name := range []string{"loss", "train", "validation"} {
		ys, ok := series[name]
		if !ok {
			continue
		}
		pts := make(plotter.XYs, len(ys))
		for j := range ys {
			pts[j].X, pts[j].Y = xs[j], ys[j]
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", title, err)
		}
		line.Color = plotColors[i]
		points.Color = plotColors[i]
		if len(pts) > 50 {
			points.Radius = 0
		}
		p.Add(line, points)
		p.Legend.Add(name, line)
	}
	w, err := p.WriterTo(6*vg.Inch, 3.5*vg.Inch, "png")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
