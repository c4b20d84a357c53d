package cli

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/bincompress/bincompress/internal/termtext"
)

// progressEvery is how often a progress line is printed off a terminal.
const progressEvery = 30 * time.Second

// progress reports one long phase (BN re-estimation, fine-tuning,
// evaluation, layer sensitivity) on stderr: on a terminal a bar with count,
// rate and ETA; elsewhere (a CI log) a line at least every progressEvery
// with the same figures, and one when the phase ends. Start one with
// logger.progress, call set or add from the goroutine doing the work, and
// finish it; a nil *progress (--quiet) ignores every call.
type progress struct {
	l            *logger
	phase, unit  string
	total        int64
	done         atomic.Int64
	base         atomic.Int64 // units done before this report began: rates count from there
	detail       atomic.Value // string shown after the figures
	start        time.Time
	bar          *progressbar.ProgressBar
	stop         chan struct{}
	wg           sync.WaitGroup
	finishedOnce sync.Once
}

// progress starts reporting a phase of total units ("batches", "images",
// "layers").
func (l *logger) progress(phase string, total int, unit string) *progress {
	if l.quiet || total <= 0 {
		return nil
	}
	l.finishActive()
	p := &progress{l: l, phase: phase, unit: unit, total: int64(total), start: time.Now(), stop: make(chan struct{})}
	p.detail.Store("")
	if l.terminal {
		p.bar = progressbar.NewOptions64(p.total, progressbar.OptionSetWriter(l.w), progressbar.OptionSetDescription(phase),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(unit),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30), progressbar.OptionClearOnFinish())
	} else {
		p.wg.Add(1)
		go p.tick(l.every)
	}
	l.mu.Lock()
	l.active = p
	l.mu.Unlock()
	return p
}

// set records done units so far and an optional detail ("loss 0.41").
func (p *progress) set(done int, detail string) {
	if p == nil {
		return
	}
	p.done.Store(int64(done))
	p.detail.Store(detail)
	if p.bar != nil {
		p.bar.Describe(termtext.Clean(p.phase + " " + detail))
		_ = p.bar.Set64(int64(done))
	}
}

// resumeAt says the phase had done units before this report began (a
// phase interrupted by another and taken up again), so rates leave them out.
func (p *progress) resumeAt(done int) {
	if p != nil {
		p.base.Store(int64(done))
		p.done.Store(int64(done))
	}
}

// add counts n more units done.
func (p *progress) add(n int) {
	if p != nil {
		p.set(int(p.done.Load())+n, p.detail.Load().(string))
	}
}

// finish ends the phase: the bar is cleared, the log gets a closing line.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.finishedOnce.Do(func() {
		close(p.stop)
		p.wg.Wait()
		if p.bar != nil {
			_ = p.bar.Finish()
			_ = p.bar.Clear()
		}
		p.l.mu.Lock()
		if p.l.active == p {
			p.l.active = nil
		}
		p.l.mu.Unlock()
		if p.bar == nil {
			p.l.printf("%s: done, %s", p.phase, p.figures(time.Since(p.start)))
		}
	})
}

func (p *progress) tick(every time.Duration) {
	defer p.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.l.printf("%s: %s", p.phase, p.figures(time.Since(p.start)))
		}
	}
}

// figures is "120/469 batches (26%), 3.1 batches/s, ETA 1m52s[, detail]".
func (p *progress) figures(elapsed time.Duration) string {
	done := p.done.Load()
	s := fmt.Sprintf("%d/%d %s (%.0f%%)", done, p.total, p.unit, 100*float64(done)/float64(p.total))
	if secs, moved := elapsed.Seconds(), done-p.base.Load(); secs > 0 && moved > 0 {
		rate := float64(moved) / secs
		s += fmt.Sprintf(", %s %s/s", rateText(rate), p.unit)
		if done < p.total {
			s += ", ETA " + time.Duration(float64(p.total-done)/rate*float64(time.Second)).Round(time.Second).String()
		} else {
			s += ", took " + elapsed.Round(time.Second).String()
		}
	}
	if d := p.detail.Load().(string); d != "" {
		s += ", " + d
	}
	return s
}

// rateText is a rate for people: three significant figures below 100,
// whole numbers above, never an exponent ("2090 images/s", which %.3g
// wrote as "2.09e+03 images/s").
func rateText(r float64) string {
	if r >= 100 {
		return fmt.Sprintf("%.0f", r)
	}
	return fmt.Sprintf("%.3g", r)
}
