package finetune

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/internal/kernels"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// planCase is a model the memory plan is checked on, with its input shape.
type planCase struct {
	name   string
	model  func(testing.TB) *ir.Model
	sample []int
}

func planCases() []planCase {
	file := func(name string) func(testing.TB) *ir.Model {
		return func(tb testing.TB) *ir.Model { return readModel(tb, name) }
	}
	family := func(name string) func(testing.TB) *ir.Model {
		return func(tb testing.TB) *ir.Model {
			m, err := onnx.ReadFile(filepath.Join(familyDir, name+".onnx"))
			if err != nil {
				tb.Fatal(err)
			}
			return m
		}
	}
	return []planCase{
		{"tiny", func(testing.TB) *ir.Model { return tinyResNet(3, 3) }, []int{1, 8, 8}},
		{"fmnist_resnet20", file("fmnist_resnet20"), []int{1, 28, 28}},
		{"resnet20_cifar_op17", file(resnet20), []int{3, 32, 32}},
		{"resnet18_w8_op11", file("resnet18_w8_op11"), []int{3, 224, 224}},
		{"resnet18_w16_op13", file("resnet18_w16_op13"), []int{3, 224, 224}},
		// The trainer's later ops: an SE block (Sigmoid, Mul, ReduceMean) and
		// an option-A shortcut (AveragePool, Pad, Concat).
		{"se_silu_op17", family("se_silu_op17"), []int{3, 32, 32}},
		{"wrn_mcdonnell_op11", family("wrn_mcdonnell_op11"), []int{3, 32, 32}},
	}
}

// TestMemoryPlanMatchesTape holds the memory plan, made from a trace at a
// batch of two, to what a training step really does at another batch, in
// both backward modes and on several models: the bytes saved for backward
// (activations and weight references) are what the tape holds, byte for
// byte; every float buffer the step, an evaluation and a statistics pass
// take is served by the planned arena (none falls outside it); the arena
// holds no more than the float memory those passes really had live at
// once, plus 10 %.
func TestMemoryPlanMatchesTape(t *testing.T) {
	const batch = 5
	for _, c := range planCases() {
		for _, exact := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/exact=%v", c.name, exact), func(t *testing.T) {
				cfg := DefaultConfig()
				cfg.ExactBackward, cfg.BatchSize = exact, batch
				plan := planOfTest(t, c.model(t))
				m, err := newMemoryModel(c.model(t), plan, c.sample, cfg)
				if err != nil {
					t.Fatal(err)
				}
				p := m.plan(batch, exact)
				tr, err := newTrainer(c.model(t), plan, randomSource(batch, c.sample[0], c.sample[1], c.sample[2], 3, 4), nil, cfg, nil)
				if err != nil {
					t.Fatal(err)
				}
				b := newPlan(tr.train, batch, false, false, Augment{}, 0, 0).load(0)
				tr.student.binarize()
				tp := &autograd.Tape{Compress: !exact, BNBits: cfg.BNBits, Key: 3}
				if _, _, err := tr.loss(tp, b); err != nil {
					t.Fatal(err)
				}
				act, par := tp.SavedBytes()
				tp.Reset()
				if act != int64(p.SavedPerImage*batch+0.5) || par != p.ParamBytes {
					t.Errorf("the tape saves %d activation and %d weight bytes, the plan says %.0f and %d", act, par, p.SavedPerImage*batch, p.ParamBytes)
				}

				tr.bufs = autograd.NewBuffers()
				tr.bufs.Poison()
				arena := tr.bufs.Plan(m.traces[b2i(exact)], batch)
				real := autograd.NewTrace(batch)
				tr.bufs.Trace(real)
				if _, _, err := tr.forwardBackward(b, 3); err != nil {
					t.Fatal(err)
				}
				for _, md := range []mode{modeEval, modeStats} {
					if err := valuesPass(tr.student, tr.bufs, b.x, md, nil); err != nil {
						t.Fatal(err)
					}
				}
				live := real.Plan(batch).FloatsLive
				if tr.bufs.Misses() != 0 || arena != p.Floats || arena > live+live/10 {
					t.Errorf("arena %d B (plan %d), %d requests outside it; the passes had %d B of floats live at most",
						arena, p.Floats, tr.bufs.Misses(), live)
				}
			})
		}
	}
}

// TestMaxMemory: a batch whose planned peak exceeds Config.MaxMemory is
// refused before training with ErrMemory naming the largest batch that
// fits, and AutoBatch trains with that batch.
func TestMaxMemory(t *testing.T) {
	defer func(f func() (int64, int64)) { processResident = f }(processResident)
	processResident = func() (int64, int64) { return 2 << 20, 1 << 20 }
	cfg := testConfig()
	cfg.Epochs = 1
	train := stripes(1, 256, 3)
	m, err := newMemoryModel(tinyResNet(3, 3), planOfTest(t, tinyResNet(3, 3)), []int{1, 8, 8}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A budget between the plans at batches 40 and 41 (the scratch dwarfs
	// the tiny model's activations, so the steps are small), plus the
	// margin a named batch leaves for the drift of the process's own
	// memory: 1/32 of it.
	p40, p41 := m.plan(40, false), m.plan(41, false)
	if p41.Peak <= p40.Peak {
		t.Fatalf("the plan does not grow with the batch: %d then %d", p40.Peak, p41.Peak)
	}
	cfg.MaxMemory, cfg.BatchSize = (p40.Peak+p41.Peak)/2+(2<<20)/32, 64
	_, err = Train(t.Context(), tinyResNet(3, 3), train, nil, cfg, nil)
	if !errors.Is(err, ErrMemory) || !strings.Contains(err.Error(), "batch 64 needs") || !strings.Contains(err.Error(), "the largest batch that fits is 40") {
		t.Fatalf("batch 64 over the limit: %v", err)
	}
	cfg.BatchSize = AutoBatch
	res, err := Train(t.Context(), tinyResNet(3, 3), train, nil, cfg, nil)
	if err != nil || res.Memory.Batch != 40 {
		t.Fatalf("auto batch: %v, batch %d, want 40", err, res.Memory.Batch)
	}
	// Under any batch: the refusal names the smallest limit that fits
	// (batch 2's need and the margin, in whole MiB), and with it the run
	// goes on.
	cfg.MaxMemory = m.plan(2, false).Peak - 1
	_, err = Train(t.Context(), tinyResNet(3, 3), train, nil, cfg, nil)
	sm := regexp.MustCompile(`the smallest limit that fits \(batch 2\) is (\d+)MiB`).FindStringSubmatch(fmt.Sprint(err))
	if !errors.Is(err, ErrMemory) || sm == nil {
		t.Fatalf("no batch fits: %v, want ErrMemory naming the smallest limit", err)
	}
	smallest, _ := strconv.ParseInt(sm[1], 10, 64)
	if cfg.MaxMemory = smallest << 20; cfg.MaxMemory-m.fitMargin() < m.plan(2, false).Peak || cfg.MaxMemory-1<<20-m.fitMargin() >= m.plan(2, false).Peak {
		t.Fatalf("named %d MiB: not the smallest whole MiB that fits batch 2 with the margin", smallest)
	}
	if res, err := Train(t.Context(), tinyResNet(3, 3), train, nil, cfg, nil); err != nil || res.Memory.Batch < 2 {
		t.Fatalf("auto at the named limit: %v", err)
	}
	cfg.MaxMemory = m.plan(2, false).Peak - 1
	// A limit batch 2 fits but not with the margin: the refusals say so
	// and name the margin, and batch 2 passed explicitly runs.
	cfg.MaxMemory = m.plan(2, false).Peak + m.fitMargin()/2
	_, err = Train(t.Context(), tinyResNet(3, 3), train, nil, cfg, nil)
	if !errors.Is(err, ErrMemory) || !strings.Contains(err.Error(), "fits the limit itself") || !strings.Contains(err.Error(), "kept free") {
		t.Fatalf("auto under the margin: %v", err)
	}
	cfg.BatchSize = 64
	_, err = Train(t.Context(), tinyResNet(3, 3), train, nil, cfg, nil)
	if !errors.Is(err, ErrMemory) || !strings.Contains(err.Error(), "fits the limit itself") {
		t.Fatalf("batch 64 under the margin: %v", err)
	}
	cfg.BatchSize = 2
	if _, err := Train(t.Context(), tinyResNet(3, 3), train, nil, cfg, nil); err != nil {
		t.Fatalf("batch 2 within the limit: %v", err)
	}
}

// TestFormatBytesPair: sizes that round to the same MiB are written in
// bytes, so that "needs X, more than Y" shows X > Y.
func TestFormatBytesPair(t *testing.T) {
	if a, b := FormatBytesPair(105<<20+1, 105<<20); a == b || a != "110100481 bytes" {
		t.Errorf("close sizes: %q, %q", a, b)
	}
	if a, b := FormatBytesPair(104<<20+400<<10, 105<<20); a != "104.4 MiB" || b != "105.0 MiB" {
		t.Errorf("distinct sizes: %q, %q", a, b)
	}
}

// TestKeepWithinPlan: after training the Go memory limit is the run's
// mode's planned peak less what the runtime does not manage and the 4 MiB
// that memory grows by outside the heap (codeSlack), the undo puts
// the old limit back, a run without a plan and a GOMEMLIMIT leave it alone.
func TestKeepWithinPlan(t *testing.T) {
	m := Memory{PlanCompressed: MemoryPlan{Peak: 600 << 20, Base: 100 << 20, BaseGo: 60 << 20},
		PlanExact: MemoryPlan{Peak: 900 << 20, Base: 100 << 20, BaseGo: 60 << 20}}
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetMemoryLimit(-1)
	for _, c := range []struct {
		m     Memory
		exact bool
		want  int64
	}{{m, false, 556 << 20}, {m, true, 856 << 20}, {Memory{}, false, before}} {
		undo := c.m.KeepWithinPlan(c.exact)
		if got := debug.SetMemoryLimit(-1); got != c.want {
			t.Errorf("exact=%v: limit %d, want %d", c.exact, got, c.want)
		}
		undo()
		if got := debug.SetMemoryLimit(-1); got != before {
			t.Errorf("exact=%v: after the undo the limit is %d, want %d", c.exact, got, before)
		}
	}
	t.Setenv("GOMEMLIMIT", "1GiB")
	defer m.KeepWithinPlan(false)()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("with GOMEMLIMIT set the limit became %d", got)
	}
}

// TestPinMemory: plans made with PinMemory's config take the process's
// memory it measured, not the memory measured again before each run,
// which grows with what the runs before leave resident: a limit the plan
// fitted before any work holds for every later run, and AutoBatch is
// resolved once.
func TestPinMemory(t *testing.T) {
	defer func(f func() (int64, int64)) { processResident = f }(processResident)
	processResident = func() (int64, int64) { return 2 << 20, 1 << 20 }
	cfg := testConfig()
	cfg.Epochs = 1
	train := stripes(1, 64, 3)
	m, err := newMemoryModel(tinyResNet(3, 3), planOfTest(t, tinyResNet(3, 3)), []int{1, 8, 8}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxMemory, cfg.BatchSize = m.plan(16, false).Peak+m.fitMargin(), AutoBatch
	grown := false // the first measure is 2 MiB, every later one 64 MiB more
	processResident = func() (int64, int64) {
		if grown {
			return 66 << 20, 1 << 20
		}
		grown = true
		return 2 << 20, 1 << 20
	}
	cfg, _, err = PinMemory(tinyResNet(3, 3), train, cfg)
	if err != nil || cfg.BatchSize < 16 {
		t.Fatalf("pinned plan: %v, batch %d", err, cfg.BatchSize)
	}
	for run := range 2 {
		if _, err := Train(t.Context(), tinyResNet(3, 3), train, nil, cfg, nil); err != nil {
			t.Fatalf("run %d after the pinned plan: %v", run+1, err)
		}
	}
}

// TestMemoryPlanHoldsTheTrainer holds the plan's Model to what a run's
// trainer really holds once it has trained, on a ResNet-34 topology (the
// deepest the plan is checked on; its weights dwarf its activations, as
// torchvision's do at small inputs): the heap that dropping the trainer
// frees, after a run of two epochs with distillation (a teacher) and a
// holdout (a best snapshot at each epoch's end), with its arena given back
// as Train does. The plan must count all of it (it once left out the
// snapshot, and the teacher's copy of the weights before the teacher
// shared the source's, and a torchvision ResNet-34 peaked 10 % above its
// plan), and no more than a tenth over.
func TestMemoryPlanHoldsTheTrainer(t *testing.T) {
	model := resnetModel([4]int{3, 4, 6, 3}, 16, 32, 10, 1)
	live := func() int64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.GC() // the second empties what sync.Pools kept through the first
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	tr, m, train, val := distillingTrainer(t, model, 32)
	cfg := tr.cfg
	pools := live()
	res, err := tr.run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Snapshots) != 2 || tr.teacher == nil || tr.best == nil {
		t.Fatalf("%d snapshots, teacher %v, best %v: the run must hold a teacher and a snapshot", len(res.Snapshots), tr.teacher != nil, tr.best != nil)
	}
	// Writing a checkpoint holds gob's buffer of its largest value, a
	// tensor, which the plan counts (checkpointBytes): every byte it
	// allocates (with the collector off, more than it holds at once) stays
	// within a few times that, and far under the file, whose whole payload
	// gob once held, grown a quarter at a time, beside a copy.
	tr.cfg.CheckpointDir = t.TempDir()
	tr.fingerprint() // the digests of the source and the data, taken once a run
	var before, after runtime.MemStats
	runtime.GC()
	gc := debug.SetGCPercent(-1)
	runtime.ReadMemStats(&before)
	err = tr.saveCheckpoint()
	runtime.ReadMemStats(&after)
	debug.SetGCPercent(gc)
	fi, serr := os.Stat(filepath.Join(tr.cfg.CheckpointDir, CheckpointFile))
	if err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	alloc, planned := int64(after.TotalAlloc-before.TotalAlloc), tr.checkpointBytes(false, "")
	t.Logf("checkpoint: %d B allocated, %d B planned, file %d B", alloc, planned, fi.Size())
	if alloc > fi.Size()/4 || alloc > 3*planned {
		t.Errorf("writing the checkpoint (%d B) allocated %d B; the plan counts %d B", fi.Size(), alloc, planned)
	}
	with := live()
	runtime.KeepAlive(tr)
	runtime.KeepAlive(res)
	tr, res = nil, nil
	held := with - live()
	runtime.KeepAlive(model) // the source, the data: the process's before training
	runtime.KeepAlive(train)
	runtime.KeepAlive(val)
	// The graph's nodes, maps and headers (tens of KiB) are left to the
	// headroom: 2 % under is allowed.
	if p := m.plan(cfg.BatchSize, cfg.ExactBackward).Model; held > p+p/50 || p > held+held/10 {
		t.Errorf("the trainer holds %d B once it has trained, the plan counts %d B", held, p)
	}
	// What outlives the trainer is the kernels' pools: the scratch the
	// run's layers kept, which the plan's Scratch (now from each layer's
	// own size and the batch, not the widest layer's bound) must cover.
	if kept, p := live()-pools, m.plan(cfg.BatchSize, cfg.ExactBackward).Scratch; kept > p {
		t.Errorf("the kernels' pools keep %d B more after the run, the plan's scratch is %d B", kept, p)
	}
}

// TestMemoryPlanScratchFollowsTheLayers: the plan's kernel scratch is
// that of the layers as the run has them, at their spatial size and the
// batch (kernels.FilterScratch of the traced convolutions): it grows with
// the input's size and the batch, and on a ResNet-18 at 64×64, whose
// widest layers are 2×2, stays under the bound for the widest layer at
// any size, which the plan took before and which put it 12 % over a
// torchvision ResNet-18's measured peak.
func TestMemoryPlanScratchFollowsTheLayers(t *testing.T) {
	scratch := func(hw, batch int) int64 {
		model := resnet18Model(32, hw, 10, 1)
		cfg := DefaultConfig()
		cfg.Epochs, cfg.BatchSize = 1, batch
		m, _, err := planRun(model, planOfTest(t, model), randomSource(batch, 3, hw, hw, 10, 1), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return m.plan(batch, false).Scratch
	}
	small, large, larger := scratch(64, 8), scratch(64, 32), scratch(256, 32)
	if !(small <= large && large < larger) {
		t.Errorf("scratch at 64×64: %d at batch 8, %d at 32; at 256×256, batch 32: %d: it must follow the layers' size and the batch", small, large, larger)
	}
	widest := kernels.FilterScratch(kernels.ConvParams{C: 256, K: 256, KH: 3, KW: 3, Groups: 1}) // any size, any batch
	if allowance := int64(runtime.GOMAXPROCS(0)) * 8 << 20; large-allowance > (widest+widest/4)/2 {
		t.Errorf("scratch at 64×64, batch 32: %d, not well under the widest layer's bound at any size %d (and %d for the chunks)", large, widest+widest/4, allowance)
	}
}

// TestTeacherSharesTheSource: the distillation teacher runs on the source
// model's own tensor data (no second copy of the weights, which the plan
// no longer counts) and leaves it as it was through a run that trains,
// re-estimates BN statistics and evaluates.
func TestTeacherSharesTheSource(t *testing.T) {
	model := resnetModel([4]int{1, 1, 1, 1}, 8, 16, 10, 1)
	before := map[string][]byte{}
	for _, in := range model.Graph.Initializers {
		before[in.Name] = fmt.Appendf(nil, "%v", in.Data)
	}
	tr, _, _, _ := distillingTrainer(t, model, 16)
	shared := 0
	for _, in := range model.Graph.Initializers {
		src, ok := in.Data.([]float32)
		if c, has := tr.teacher.consts[in.Name]; ok && has && c.t != nil && len(src) > 0 && &c.t.Data[0] == &src[0] {
			shared++
		}
		if p, has := tr.teacher.params[in.Name]; ok && has && len(src) > 0 && &p.Data[0] == &src[0] {
			shared++
		}
	}
	if shared == 0 {
		t.Error("the teacher holds its own copy of every initializer")
	}
	if _, err := tr.run(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, in := range model.Graph.Initializers {
		if got := fmt.Appendf(nil, "%v", in.Data); string(got) != string(before[in.Name]) {
			t.Errorf("the run changed the source's %s", in.Name)
		}
	}
}

// distillingTrainer is a trainer of model as Train makes one, for two
// epochs at batch 8 with distillation (a teacher) and a holdout (a best
// snapshot), on random size×size images, its memory planned; with its
// training and held-out data, which a caller measuring the trainer's
// memory keeps alive.
func distillingTrainer(t *testing.T, model *ir.Model, size int) (*trainer, *memoryModel, Source, Source) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.BNBatches = 2, 8, 2
	train, val := randomSource(16, 3, size, size, 10, 1), randomSource(8, 3, size, size, 10, 2)
	plan := planOfTest(t, model)
	m, cfg, err := planRun(model, plan, train, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := newTrainer(model, plan, train, val, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr.mem = m
	return tr, m, train, val
}

// TestSearchWithinPlan: the --keep-float auto search holds the Go heap to
// its plan throughout: the sensitivity phase, whose per-layer copies of
// the source are garbage one layer later, runs under its plan's limit,
// and Hold holds the heap between the runs to the first run's plan
// that PinMemory made (a ResNet-18 at 64×64 under --max-memory 560MiB,
// planned at 431 MiB, peaked at 663 with the limit lifted there).
func TestSearchWithinPlan(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	defer func(f func() (int64, int64)) { processResident = f }(processResident)
	processResident = func() (int64, int64) { return 64 << 20, 48 << 20 }
	before := debug.SetMemoryLimit(-1)
	cfg := testConfig()
	cfg.Epochs, cfg.MaxMemory = 1, 8<<30
	train, held := stripes(1, 64, 3), stripes(2, 16, 3)
	var during []int64
	progress := func(e Event) {
		if e.Phase == "sensitivity" {
			during = append(during, debug.SetMemoryLimit(-1))
		}
	}
	if _, _, err := Sensitivity(t.Context(), tinyResNet(3, 3), train, held, cfg, progress); err != nil {
		t.Fatal(err)
	}
	if len(during) == 0 || slices.Contains(during, before) {
		t.Errorf("memory limits while measuring sensitivity %v: the heap must be held to the plan (no limit is %d)", during, before)
	}
	pinned, first, err := PinMemory(tinyResNet(3, 3), train, cfg)
	if err != nil {
		t.Fatal(err)
	}
	undo := first.Hold()
	if got, want := debug.SetMemoryLimit(-1), first.Peak-(16<<20)-codeSlack; first.Peak <= 0 || first.Batch != pinned.BatchSize || got != want {
		t.Errorf("memory limit through the search %d, want the first run's plan less the memory outside the heap, %d", got, want)
	}
	undo()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("after the search: limit %d, want %d", got, before)
	}
}
