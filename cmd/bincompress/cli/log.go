package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/bincompress/bincompress/finetune"
	"github.com/bincompress/bincompress/internal/termtext"
)

// logger writes what is not a result: logs, warnings and progress, on
// stderr. Results a person reads (the summary, the verify table) go to
// result: stdout, or stderr when --json puts JSON on stdout instead.
// --quiet silences logs and progress; warnings and errors still print.
type logger struct {
	mu       sync.Mutex
	w        io.Writer // stderr
	result   io.Writer
	terminal bool
	quiet    bool
	every    time.Duration // off-terminal progress interval
	active   *progress     // the phase being reported, cleared before a line
	phase    string        // the finetune phase active belongs to
	history  history
	// events, when set, receives a JSON line per training event (--json).
	events io.Writer
	// sourceTrainedOnHoldout: the held-out images are a slice of the
	// training data, so the source model has likely seen them.
	sourceTrainedOnHoldout bool
}

func newLogger(streams IO, quiet, json bool) *logger {
	l := &logger{w: streams.ErrOut, result: streams.Out, terminal: streams.IsTerminal, quiet: quiet, every: progressEvery}
	if json {
		l.result, l.events = streams.ErrOut, streams.Out
	}
	return l
}

// printf logs one line unless --quiet.
func (l *logger) printf(format string, args ...any) {
	if !l.quiet {
		l.line(l.w, format, args...)
	}
}

// warnf logs one line, even with --quiet.
func (l *logger) warnf(format string, args ...any) { l.line(l.w, "warning: "+format, args...) }

// resultf prints one line of the results.
func (l *logger) resultf(format string, args ...any) { l.line(l.result, format, args...) }

// writeResult prints a block of results (a table) through fn.
func (l *logger) writeResult(fn func(io.Writer) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clearBar()
	return fn(l.result)
}

func (l *logger) line(w io.Writer, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clearBar()
	fmt.Fprintln(w, termtext.Clean(fmt.Sprintf(format, args...))) // layer and class names come from files
}

// clearBar erases a terminal bar so a line can be printed; the bar comes
// back at its next update. Callers hold l.mu.
func (l *logger) clearBar() {
	if l.active != nil && l.active.bar != nil {
		_ = l.active.bar.Clear()
	}
}

// endProgress finishes the active phase, if any.
func (l *logger) endProgress() {
	l.finishActive()
	l.phase = ""
}

func (l *logger) finishActive() {
	l.mu.Lock()
	p := l.active
	l.mu.Unlock()
	p.finish()
}

// trainEvent renders the trainer's progress callback.
func (l *logger) trainEvent(e finetune.Event) {
	switch e.Phase {
	case "batch", "bn", "eval", "sensitivity":
		l.phaseEvent(e)
		return
	}
	l.endProgress()
	l.jsonEvent(e)
	switch e.Phase {
	case "float":
		seen := ""
		if l.sourceTrainedOnHoldout {
			seen = "these images trained it; "
		}
		l.printf("float model: holdout accuracy %s (%sthe drops below are from this)", pct(e.ValAcc), seen)
	case "binarized":
		l.printf("binarized: holdout accuracy %s (BatchNormalization statistics still from the float model)", pct(e.ValAcc))
	case "reestimated":
		l.printf("BatchNormalization re-estimated: holdout accuracy %s", pct(e.ValAcc))
	case "resumed":
		l.printf("resumed from the checkpoint (--resume): %d of %d epochs done, holdout accuracy %s", e.Epoch, e.Epochs, pct(e.ValAcc))
	case "epoch":
		l.printf("epoch %d/%d  loss %.4f  train %s  holdout %s  lr %.3g  %.0f img/s  ETA %s",
			e.Epoch, e.Epochs, e.Loss, pct(e.TrainAcc), pct(e.ValAcc), e.LR, e.ImagesPerSec, e.ETA.Round(time.Second))
	case "done":
		if e.Epochs == 0 {
			l.printf("no fine-tuning (no epochs): the binarized model with re-estimated BatchNormalization is kept, holdout accuracy %s", pct(e.ValAcc))
			break
		}
		l.printf("fine-tuning done in %s: holdout accuracy %s (snapshot kept)", e.Elapsed.Round(time.Second), pct(e.ValAcc))
	}
}

// phaseEvent moves the progress of the trainer's current phase (an epoch
// of training, a BN re-estimation, a validation pass, the layer
// sensitivity of --keep-float auto), starting a new one when the phase
// changes.
func (l *logger) phaseEvent(e finetune.Event) {
	key, name, detail, unit := e.Phase, "", "", "batches"
	switch e.Phase {
	case "batch":
		key = fmt.Sprintf("epoch %d", e.Epoch)
		name = fmt.Sprintf("fine-tuning epoch %d/%d", e.Epoch, e.Epochs)
		detail = fmt.Sprintf("loss %.4f, %.0f img/s, whole run ETA %s", e.Loss, e.ImagesPerSec, e.ETA.Round(time.Second))
	case "bn":
		name = "BatchNormalization re-estimation"
	case "eval":
		name = "held-out evaluation"
	case "sensitivity":
		name, unit = "layer sensitivity", "layers"
		detail = fmt.Sprintf("%s binarized alone: holdout %s", e.Layer, pct(e.ValAcc))
	}
	if l.phase != key {
		l.endProgress()
		l.phase = key
		p := l.progress(name, e.Batches, unit)
		p.resumeAt(e.Batch - 1)
		p.set(e.Batch, detail)
		return
	}
	l.mu.Lock()
	p := l.active
	l.mu.Unlock()
	p.set(e.Batch, detail)
}

// eventJSON is one line of the --json training log; accuracies are null
// when not measured.
type eventJSON struct {
	Event        string   `json:"event"`
	Epoch        int      `json:"epoch,omitempty"`
	Epochs       int      `json:"epochs,omitempty"`
	Loss         *float64 `json:"loss,omitempty"`
	TrainAcc     *float64 `json:"train_accuracy"`
	ValAcc       *float64 `json:"val_accuracy"`
	LR           float64  `json:"lr,omitempty"`
	ImagesPerSec float64  `json:"images_per_sec,omitempty"`
	ElapsedSec   float64  `json:"elapsed_s"`
	ETASec       float64  `json:"eta_s"`
}

func (l *logger) jsonEvent(e finetune.Event) {
	if l.events == nil {
		return
	}
	ev := eventJSON{Event: e.Phase, Epoch: e.Epoch, Epochs: e.Epochs, TrainAcc: finite(e.TrainAcc), ValAcc: finite(e.ValAcc),
		LR: e.LR, ImagesPerSec: e.ImagesPerSec, ElapsedSec: e.Elapsed.Seconds(), ETASec: e.ETA.Seconds()}
	if e.Phase == "epoch" {
		ev.Loss = finite(e.Loss)
	}
	_ = json.NewEncoder(l.events).Encode(ev)
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*x)
}
