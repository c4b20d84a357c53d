package finetune

import (
	"context"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

// TestDevicePeakMatchesPlan holds the plan of device memory, made from the
// pool's requests traced on the device at batches 2 and 3, to the pool's
// measured high-water mark over a whole run (steps, evaluations, BN
// re-estimation) at a larger batch, within 10 %, in both backward modes,
// on the emulated device; compressed backward plans and takes less device
// memory than exact; the second step allocates nothing.
func TestDevicePeakMatchesPlan(t *testing.T) {
	d := openEmulated(t)
	cases := []struct {
		name   string
		model  func(testing.TB) *ir.Model
		sample []int
		batch  int
	}{
		{"fmnist_tiny", func(tb testing.TB) *ir.Model { return readModel(tb, "fmnist_tiny") }, []int{1, 28, 28}, 24},
		{"resnet20_cifar_op17", func(tb testing.TB) *ir.Model { return readModel(tb, resnet20) }, []int{3, 32, 32}, 6},
	}
	for _, c := range cases {
		var peak [2]int64
		for _, exact := range []bool{false, true} {
			cfg := testConfig()
			cfg.Epochs, cfg.BatchSize, cfg.ExactBackward, cfg.BNBatches, cfg.Backend = 1, c.batch, exact, 1, d.Backend()
			in := c.sample
			train, val := randomSource(2*c.batch, in[0], in[1], in[2], 3, 1), randomSource(c.batch, in[0], in[1], in[2], 3, 2)
			var allocs []int
			res, err := Train(context.Background(), c.model(t), train, val, cfg, func(e Event) {
				if e.Phase == "batch" {
					allocs = append(allocs, d.PoolStats().Allocs)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(allocs) != 2 || allocs[1] != allocs[0] {
				t.Errorf("%s exact=%v: device allocations after each step %v; the second step should allocate nothing", c.name, exact, allocs)
			}
			m := res.Memory
			plan := map[bool]MemoryPlan{false: m.PlanCompressed, true: m.PlanExact}[exact]
			t.Logf("%s exact=%v batch %d: device peak %d B measured, %d planned (held %d); other mode plans %d",
				c.name, exact, c.batch, m.PeakDevice, plan.Device.Peak, plan.Device.Held, map[bool]MemoryPlan{true: m.PlanCompressed, false: m.PlanExact}[exact].Device.Peak)
			if m.PeakDevice <= 0 || plan.Device.Peak <= 0 || plan.Device.Held <= 0 || plan.Device.Held >= plan.Device.Peak {
				t.Fatalf("%s exact=%v: measured %d, planned %+v", c.name, exact, m.PeakDevice, plan.Device)
			}
			if r := float64(plan.Device.Peak) / float64(m.PeakDevice); r < 0.9 || r > 1.1 {
				t.Errorf("%s exact=%v: planned device peak %d is %.3f× the measured %d", c.name, exact, plan.Device.Peak, r, m.PeakDevice)
			}
			if m.PlanCompressed.Device.Peak >= m.PlanExact.Device.Peak {
				t.Errorf("%s: compressed plans %d B of device memory, exact %d", c.name, m.PlanCompressed.Device.Peak, m.PlanExact.Device.Peak)
			}
			peak[b2i(exact)] = m.PeakDevice
		}
		if peak[0] >= peak[1] {
			t.Errorf("%s: compressed took %d B of device memory at its peak, exact %d", c.name, peak[0], peak[1])
		}
	}
}
