package finetune

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/internal/backend"
	"github.com/bincompress/bincompress/internal/gpu"
	"github.com/bincompress/bincompress/internal/gpu/emu"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// openEmulated opens the CUDA emulation (package emu) as the device.
func openEmulated(t *testing.T) *gpu.Device {
	t.Helper()
	t.Setenv("BINCOMPRESS_CUDA_LIBS", emu.Lib(t))
	d, err := gpu.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestDeviceOutOfMemoryNamesBatch: a batch too large for the device fails
// with an error that names the largest batch that fits, and that batch
// trains.
func TestDeviceOutOfMemoryNamesBatch(t *testing.T) {
	d := openEmulated(t)
	ctl, err := emu.Open(emu.Lib(t))
	if err != nil {
		t.Fatal(err)
	}
	train := stripes(1, 256, 3)
	cfg := testConfig()
	cfg.Epochs, cfg.BatchSize, cfg.Backend = 1, 128, d.Backend()
	d.ResetPeak()
	if _, err := Train(context.Background(), tinyResNet(3, 3), train, nil, cfg, nil); err != nil {
		t.Fatal(err)
	}
	d.ReleaseCache()
	step := d.PoolStats().Peak
	ctl.Set("memlimit", ctl.Get("live_bytes")+int64(step)*3/5) // room for about 60% of a batch of 128
	defer ctl.Set("memlimit", 1<<30)
	_, err = Train(context.Background(), tinyResNet(3, 3), train, nil, cfg, nil)
	var fit int
	if !errors.Is(err, backend.ErrOutOfMemory) {
		t.Fatalf("batch 128 in %d bytes: %v; want an out-of-memory error", step*3/5, err)
	}
	if i := strings.Index(err.Error(), "--batch-size "); i < 0 {
		t.Fatalf("the error names no batch size: %v", err)
	} else if fit, _ = strconv.Atoi(strings.TrimRight(err.Error()[i+len("--batch-size "):], ")")); fit < 16 || fit >= 128 {
		t.Fatalf("advised batch %d for about 60%% of batch 128's memory: %v", fit, err)
	}
	t.Log(err)
	d.ReleaseCache()
	cfg.BatchSize = fit
	if _, err := Train(context.Background(), tinyResNet(3, 3), train, nil, cfg, nil); err != nil {
		t.Errorf("the advised batch %d does not train: %v", fit, err)
	}
}

// TestDeviceMemoryPlan: a device run reports the bytes saved per image from
// the memory plan's CPU trace (the CPU run's figures) and plans device
// memory, not host memory; a memory limit bounds the device memory: a
// batch whose planned device peak exceeds it is refused before training
// with ErrMemory naming the device and the largest batch that fits, and
// an automatic batch is the largest that fits, and trains within it.
func TestDeviceMemoryPlan(t *testing.T) {
	d := openEmulated(t)
	train := stripes(1, 64, 3)
	cfg := testConfig()
	cfg.Epochs = 1
	cpu, err := Train(context.Background(), tinyResNet(3, 3), train, nil, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Backend = d.Backend()
	dev, err := Train(context.Background(), tinyResNet(3, 3), train, nil, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, g := cpu.Memory, dev.Memory
	if g.ExactPerImage != c.ExactPerImage || g.CompressedPerImage != c.CompressedPerImage || g.Batch != c.Batch {
		t.Errorf("device run: %.0f / %.0f B per image at batch %d, the CPU run's %.0f / %.0f at %d",
			g.ExactPerImage, g.CompressedPerImage, g.Batch, c.ExactPerImage, c.CompressedPerImage, c.Batch)
	}
	if c.PlanCompressed.Peak == 0 || c.PlanCompressed.Device.Peak != 0 || g.PlanCompressed.Peak != 0 || g.PlanCompressed.Device.Peak == 0 {
		t.Errorf("planned peaks: CPU %d (device %d), device run %d (device %d); want host memory planned on the CPU only, device memory on the device only",
			c.PlanCompressed.Peak, c.PlanCompressed.Device.Peak, g.PlanCompressed.Peak, g.PlanCompressed.Device.Peak)
	}
	limit := g.PlanCompressed.Device.Peak - 1 // batch 16 does not fit
	cfg.MaxMemory = limit
	_, err = Train(context.Background(), tinyResNet(3, 3), train, nil, cfg, nil)
	const hint = "the largest batch that fits is "
	i := strings.Index(fmt.Sprint(err), hint)
	if !errors.Is(err, ErrMemory) || !strings.Contains(err.Error(), d.Backend().Name()) || i < 0 {
		t.Fatalf("batch 16 over its planned device peak: %v, want ErrMemory naming the device and a batch", err)
	}
	fit, _ := strconv.Atoi(err.Error()[i+len(hint):])
	if fit < 2 || fit >= 16 {
		t.Errorf("batch 16 over its planned device peak names batch %d: %v", fit, err)
	}
	cfg.BatchSize = AutoBatch
	auto, err := Train(context.Background(), tinyResNet(3, 3), train, nil, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := auto.Memory
	t.Logf("limit %d B: batch %d named and taken, device peak %d B (planned %d)", limit, m.Batch, m.PeakDevice, m.PlanCompressed.Device.Peak)
	if m.Batch != fit || m.PeakDevice > limit || m.PlanCompressed.Device.Peak > limit {
		t.Errorf("automatic batch under %d B of device memory: batch %d (named %d), device peak %d B, planned %d", limit, m.Batch, fit, m.PeakDevice, m.PlanCompressed.Device.Peak)
	}
}

// TestTrainOnEmulatedDevice: the trainer runs on the GPU backend (here the
// CUDA emulation) with the CPU's graph, plan and codes: it reaches the CPU
// run's accuracy and nearly its weights, gives back all device memory, and
// its steps after the first allocate nothing.
func TestTrainOnEmulatedDevice(t *testing.T) {
	d := openEmulated(t)
	train, val := stripes(1, 192, 3), stripes(2, 96, 3)
	for _, exact := range []bool{false, true} {
		cfg := testConfig()
		cfg.ExactBackward, cfg.Distill, cfg.Temperature = exact, 0.3, 2
		cpu, err := Train(context.Background(), tinyResNet(3, 3), train, val, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Backend = d.Backend()
		var allocs []int
		res, err := Train(context.Background(), tinyResNet(3, 3), train, val, cfg, func(e Event) {
			if e.Phase == "batch" {
				allocs = append(allocs, d.PoolStats().Allocs)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		want := latent(t, cpu)
		for name, got := range latent(t, res) {
			for i := range got {
				worst = max(worst, math.Abs(float64(got[i]-want[name][i]))/(1+math.Abs(float64(want[name][i]))))
			}
		}
		t.Logf("exact=%v: accuracy cpu %.3f gpu %.3f; loss cpu %.4f gpu %.4f; max relative weight difference %.2g; allocations per batch %v",
			exact, cpu.ValFinal, res.ValFinal, cpu.Epochs[0].Loss, res.Epochs[0].Loss, worst, allocs)
		// GEMM rounding can move a stochastic code, which moves the weights
		// by about 1e-4 from there on; here they stay within 1e-6.
		if worst > 1e-3 {
			t.Errorf("exact=%v: weights (latent, BN statistics) differ from the CPU run's by up to %.2g", exact, worst)
		}
		if math.Abs(res.ValFinal-cpu.ValFinal) > 0.03 || math.Abs(res.Epochs[0].Loss-cpu.Epochs[0].Loss) > 0.01 {
			t.Errorf("exact=%v: the device run reached %.3f (loss %.4f), the CPU run %.3f (loss %.4f)", exact,
				res.ValFinal, res.Epochs[0].Loss, cpu.ValFinal, cpu.Epochs[0].Loss)
		}
		for i := 1; i < len(allocs); i++ {
			if allocs[i] != allocs[0] {
				t.Errorf("exact=%v: batch %d allocated %d new device blocks; the pool should serve every step after the first", exact, i+1, allocs[i]-allocs[0])
				break
			}
		}
		if st := d.PoolStats(); st.InUse != 0 {
			t.Errorf("exact=%v: %d bytes of device memory still in use after training", exact, st.InUse)
		}
	}
}

// TestDeviceConstantNode: a float Constant node (here a scale the ReLU's
// output is multiplied by) reaches the device's ops on the device, and
// the run matches the CPU's.
func TestDeviceConstantNode(t *testing.T) {
	scaled := func() *ir.Model {
		m := tinyResNet(3, 3)
		g := m.Graph
		k := &ir.Node{Name: "k", OpType: "Constant", Outputs: []string{"k"},
			Attrs: []*ir.Attr{{Name: "value", Type: ir.AttrTensor, T: ir.NewFloat32("", []int{1}, []float32{0.5})}}}
		mul := &ir.Node{Name: "scale", OpType: "Mul", Inputs: []string{"a1", "k"}, Outputs: []string{"a1s"}}
		g.Nodes = slices.Insert(g.Nodes, 3, k, mul)
		g.Nodes[5].Inputs[0] = "a1s" // c2
		return m
	}
	train := stripes(1, 64, 3)
	cfg := testConfig()
	cfg.Epochs = 1
	cpu, err := Train(context.Background(), scaled(), train, nil, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Backend = openEmulated(t).Backend()
	res, err := Train(context.Background(), scaled(), train, nil, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(res.Epochs[0].Loss - cpu.Epochs[0].Loss); d > 1e-3 {
		t.Errorf("loss on the device %.5f, on the CPU %.5f", res.Epochs[0].Loss, cpu.Epochs[0].Loss)
	}
}

// TestCheckDevice: the device trainer takes the graph the trainer runs (a
// final Softmax is not run), and refuses, before training, a trainer op
// whose arithmetic is on the host, by node and op, through the op layer's
// error, saying that the CPU trains it; the CPU does.
func TestCheckDevice(t *testing.T) {
	m := tinyResNet(3, 3)
	if err := CheckDevice(m); err != nil {
		t.Fatal(err)
	}
	huge := tinyResNet(3, 3) // tensors over the default element limit, which --max-elements raises
	huge.Graph.Inputs[0].Shape[2], huge.Graph.Inputs[0].Shape[3] = ir.Dim{Size: 12000}, ir.Dim{Size: 12000}
	if err := CheckDevice(huge); err != nil {
		t.Errorf("CheckDevice applied an element limit of its own: %v", err)
	}
	m.Graph.Nodes[2].OpType = "Sigmoid" // stands for an op not yet on the backend
	var u *schema.UnsupportedOpError
	if err := CheckDevice(m); !errors.As(err, &u) || u.Stage != schema.TrainerDevice || u.Op != "Sigmoid" ||
		u.Node != schema.Label(m.Graph.Nodes[2], 2) || !strings.Contains(u.Reason, "--device cpu trains it") {
		t.Errorf("CheckDevice = %v", err)
	}
	cfg := testConfig()
	cfg.Epochs = 1
	cfg.Backend = openEmulated(t).Backend()
	if _, err := Train(context.Background(), m, stripes(1, 32, 3), nil, cfg, nil); !errors.As(err, &u) || u.Stage != schema.TrainerDevice {
		t.Errorf("Train on a device = %v, want the op refused", err)
	}
	cfg.Backend = nil
	if _, err := Train(context.Background(), m, stripes(1, 32, 3), nil, cfg, nil); err != nil {
		t.Errorf("Train on the CPU: %v", err)
	}
}

// TestCheckDeviceLimits: Concat trains on a device on integers only (the
// op layer's limit for the stage); an op no trainer has is refused
// without pointing to the CPU.
func TestCheckDeviceLimits(t *testing.T) {
	m := tinyResNet(3, 3)
	g := m.Graph
	g.Nodes = slices.Insert(g.Nodes, 3, &ir.Node{Name: "cat", OpType: "Concat", Inputs: []string{"a1", "a1"}, Outputs: []string{"a1c"},
		Attrs: []*ir.Attr{{Name: "axis", Type: ir.AttrInt, I: 0}}})
	g.Nodes[4].Inputs[0] = "a1c"
	var u *schema.UnsupportedOpError
	if err := CheckDevice(m); !errors.As(err, &u) || u.Op != "Concat" || !strings.Contains(u.Reason, "concatenating float tensors") {
		t.Errorf("CheckDevice with a float Concat = %v", err)
	}
	g.Nodes[3] = &ir.Node{Name: "ls", OpType: "LogSoftmax", Inputs: []string{"a1"}, Outputs: []string{"a1c"}}
	if err := CheckDevice(m); !errors.As(err, &u) || u.Op != "LogSoftmax" || u.Stage != schema.TrainerDevice || strings.Contains(u.Reason, "--device cpu") {
		t.Errorf("CheckDevice with an op no trainer has = %v", err)
	}
}

// TestDeviceTable holds the device trainer's op list to the op layer's
// stage schema.TrainerDevice, in both directions; every op in it is a
// trainer op too.
func TestDeviceTable(t *testing.T) {
	if err := schema.CompareTable(schema.TrainerDevice, deviceOps); err != nil {
		t.Error(err)
	}
	for _, op := range deviceOps {
		if _, ok := handlers[op]; !ok {
			t.Errorf("%s is on the device list but has no handler", op)
		}
	}
}
