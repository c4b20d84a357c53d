package finetune

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bincompress/bincompress/ir"
)

// stepProfile is the time of each layer of training steps, forward and
// backward, keyed by op type and shape (layers of one shape add up), plus
// the optimizer's update. Wall time shows what a step waits for; CPU time
// (of this process, all goroutines) stays readable on a loaded machine.
type stepProfile struct {
	rows  map[string]*profRow
	label map[int]string // tape op index → its node's label, this step
	steps int
}

// profRow is one label's time over the profiled steps.
type profRow struct {
	label            string
	layers           int // layers of this label in one step
	fwd, bwd         time.Duration
	fwdCPU, bwdCPU   float64
	seenInStep, seen int
}

// profiled attaches a profile to t: every following step is timed per
// layer until the returned stop function detaches it.
func profiled(t *trainer) (*stepProfile, func()) {
	p := &stepProfile{rows: map[string]*profRow{}, label: map[int]string{}}
	t.student.around = func(r *run, nd *ir.Node, f func() error) error {
		before := r.tp.Ops()
		w0, c0 := time.Now(), cpuSeconds()
		err := f()
		wall, cpu := time.Since(w0), cpuSeconds()-c0
		l := layerLabel(r, nd) // after the node ran: its output's shape is known
		p.add(l, false, wall, cpu)
		for i := before; i < r.tp.Ops(); i++ {
			p.label[i] = l
		}
		return err
	}
	t.around = func(i int, f func()) {
		l, ok := p.label[i]
		if !ok {
			l = "loss"
		}
		_ = p.time(l, true, func() error { f(); return nil })
	}
	return p, func() { t.student.around, t.around = nil, nil }
}

// step runs one profiled training step, timing the optimizer's update.
func (p *stepProfile) step(t *trainer, b batch, lr *float64) error {
	clear(p.label)
	for _, r := range p.rows {
		r.seenInStep = 0
	}
	w0, c0 := time.Now(), cpuSeconds()
	_, _, _, err := t.trainStep(b, lr)
	p.steps++
	r := p.row("step (whole)")
	r.fwd += time.Since(w0)
	r.fwdCPU += cpuSeconds() - c0
	return err
}

// time runs f and adds its wall and CPU time to label's row.
func (p *stepProfile) time(label string, backward bool, f func() error) error {
	w0, c0 := time.Now(), cpuSeconds()
	err := f()
	p.add(label, backward, time.Since(w0), cpuSeconds()-c0)
	return err
}

// add adds one run of label's op (forward or backward) to its row.
func (p *stepProfile) add(label string, backward bool, wall time.Duration, cpu float64) {
	r := p.row(label)
	if backward {
		r.bwd += wall
		r.bwdCPU += cpu
		return
	}
	r.fwd += wall
	r.fwdCPU += cpu
	if r.seenInStep++; r.seenInStep > r.layers {
		r.layers = r.seenInStep
	}
}

func (p *stepProfile) row(label string) *profRow {
	r, ok := p.rows[label]
	if !ok {
		r = &profRow{label: label}
		p.rows[label] = r
	}
	return r
}

// write prints the rows by total wall time per step, largest first, and
// then the same times summed per op type.
func (p *stepProfile) write(w io.Writer) {
	n := float64(max(p.steps, 1))
	ms := func(d time.Duration) float64 { return d.Seconds() * 1e3 / n }
	rows := slices.SortedFunc(func(yield func(*profRow) bool) {
		for _, r := range p.rows {
			if !yield(r) {
				return
			}
		}
	}, func(a, b *profRow) int { return cmp.Compare(b.fwd+b.bwd, a.fwd+a.bwd) })
	fmt.Fprintf(w, "%-52s %6s %9s %9s %9s %9s\n", "layer (per step, ms)", "layers", "fwd", "bwd", "total", "cpu")
	types := map[string]*profRow{}
	for _, r := range rows {
		fmt.Fprintf(w, "%-52s %6d %9.1f %9.1f %9.1f %9.1f\n", r.label, r.layers, ms(r.fwd), ms(r.bwd),
			ms(r.fwd+r.bwd), (r.fwdCPU+r.bwdCPU)*1e3/n)
		if r.label == "step (whole)" {
			continue
		}
		op, _, _ := strings.Cut(r.label, " ")
		t, ok := types[op]
		if !ok {
			t = &profRow{label: op}
			types[op] = t
		}
		t.layers += r.layers
		t.fwd, t.bwd, t.fwdCPU, t.bwdCPU = t.fwd+r.fwd, t.bwd+r.bwd, t.fwdCPU+r.fwdCPU, t.bwdCPU+r.bwdCPU
	}
	fmt.Fprintln(w)
	for _, t := range slices.SortedFunc(func(yield func(*profRow) bool) {
		for _, r := range types {
			if !yield(r) {
				return
			}
		}
	}, func(a, b *profRow) int { return cmp.Compare(b.fwd+b.bwd, a.fwd+a.bwd) }) {
		fmt.Fprintf(w, "%-52s %6d %9.1f %9.1f %9.1f %9.1f\n", "all "+t.label, t.layers, ms(t.fwd), ms(t.bwd),
			ms(t.fwd+t.bwd), (t.fwdCPU+t.bwdCPU)*1e3/n)
	}
}

// layerLabel names a node that has run by op type and shapes: a
// convolution by kernel, stride (input over output height), channels and
// input plane (and whether it is binary), pooling by its input and output
// planes, other ops by their input's shape. It reads no attributes, so
// that it stays with whatever reads them.
func layerLabel(r *run, nd *ir.Node) string {
	op := nd.OpType
	if r.n.fused[nd] != nil && r.mode != modeEval {
		op += "+Relu"
	}
	shape := func(name string) []int {
		if v, ok := r.get(name); ok && v.t != nil {
			return v.t.Shape
		}
		return nil
	}
	in, out := shape(nd.Input(0)), shape(nd.Outputs[0])
	dims := func(s []int) string {
		var b strings.Builder
		for i, d := range s {
			if i > 0 {
				b.WriteString("×")
			}
			fmt.Fprint(&b, d)
		}
		return b.String()
	}
	switch {
	case nd.OpType == "Conv" && len(in) == 4 && len(out) == 4 && out[2] > 0:
		w := shape(nd.Input(1))
		if len(w) != 4 {
			break
		}
		kind := "float"
		if r.n.binary[nd] != nil {
			kind = "bin"
		}
		stride := (in[2] + out[2]/2) / out[2]
		return fmt.Sprintf("%s %dx%d/%d %d→%d @%dx%d %s", op, w[2], w[3], stride, in[1], w[0], in[2], in[3], kind)
	case (nd.OpType == "MaxPool" || nd.OpType == "AveragePool") && len(in) == 4 && len(out) == 4:
		return fmt.Sprintf("%s %s→%dx%d", op, dims(in[1:]), out[2], out[3])
	}
	if len(in) > 1 {
		return op + " " + dims(in[1:])
	}
	return op
}

// TestStepProfile: a profiled step of ResNet-20 times every convolution
// of the model, forward and backward, under labels that carry its shape,
// and the whole step.
func TestStepProfile(t *testing.T) {
	m := readModel(t, resnet20)
	convs := 0
	for _, nd := range m.Graph.Nodes {
		if nd.OpType == "Conv" {
			convs++
		}
	}
	tr, err := newTrainer(m, planOfTest(t, m), randomSource(4, 3, 32, 32, 10, 2), nil, DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	bt := newPlan(tr.train, 4, true, false, Augment{}, 0, 0).load(0)
	p, stop := profiled(tr)
	var lr float64
	if err := p.step(tr, bt, &lr); err != nil {
		t.Fatal(err)
	}
	stop()
	layers, backward := 0, 0
	for label, r := range p.rows {
		if strings.HasPrefix(label, "Conv ") {
			layers += r.layers
			if r.bwd > 0 {
				backward++
			}
		}
	}
	if layers != convs {
		t.Fatalf("profile has %d conv layers, the model %d", layers, convs)
	}
	if backward == 0 || p.rows["Conv 3x3/2 16→32 @32x32 bin"] == nil || p.rows["step (whole)"].fwd == 0 {
		t.Fatalf("profile misses backward times, a stride-2 label or the whole step: %v", p.rows)
	}
	var sb strings.Builder
	p.write(&sb)
	if !strings.Contains(sb.String(), "all Conv") {
		t.Fatalf("profile table lacks the per-type sums:\n%s", sb.String())
	}
}
