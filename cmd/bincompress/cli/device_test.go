package cli

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/internal/gpu/emu"
)

// TestDeviceCUDAOnEmulator runs the product path on the emulated GPU
// (package emu: the real kernels on the CPU behind a fake driver): the
// main command with --device cuda fine-tunes there and writes a .bnn whose
// verified accuracy is the CPU run's within half a point, and --device auto
// picks the GPU and says so in one line.
func TestDeviceCUDAOnEmulator(t *testing.T) {
	lib := emu.Lib(t)
	data := filepath.Join("..", "..", "..", "testdata", "data", "fmnist-mini")
	dir := t.TempDir()
	args := func(device, epochs, limit string) []string {
		return []string{testModel("fmnist_tiny.onnx"), filepath.Join(dir, device+".bnn"), "--data", data, "--mean", "0.2860",
			"--std", "0.3530", "--epochs", epochs, "--limit", limit, "--json", "--device", device}
	}
	accuracy := func(device, stdout string) float64 {
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		var s struct {
			Verify struct{ Accuracy float64 } `json:"verify"`
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
			t.Fatalf("--device %s: summary: %v", device, err)
		}
		return s.Verify.Accuracy
	}
	code, out, errOut := run(t, args("cpu", "1", "512")...)
	if code != 0 {
		t.Fatalf("--device cpu: exit %d: %s", code, errOut)
	}
	cpu := accuracy("cpu", out)
	t.Setenv("BINCOMPRESS_CUDA_LIBS", lib)
	code, out, errOut = run(t, args("cuda", "1", "512")...)
	if code != 0 || !strings.Contains(errOut, "device cuda: fine-tuning on the GPU, Fake CUDA") {
		t.Fatalf("--device cuda: exit %d: %s", code, errOut)
	}
	if gpu := accuracy("cuda", out); math.Abs(gpu-cpu) > 0.005 {
		t.Errorf("the .bnn fine-tuned on the GPU verifies at %.4f, the CPU's at %.4f", gpu, cpu)
	} else {
		t.Logf("verified accuracy: CPU %.4f, GPU %.4f", cpu, gpu)
	}
	code, _, errOut = run(t, args("auto", "0", "64")...)
	if code != 0 || strings.Count(errOut, "device auto: fine-tuning on the GPU") != 1 || strings.Contains(errOut, "using the CPU") {
		t.Errorf("--device auto with a GPU: exit %d, stderr %q", code, errOut)
	}
}

// TestDeviceRefusesHostOps: a model with an op the trainer runs only on
// the host (SiLU's Sigmoid) is refused on the GPU before training, naming
// the stage and saying that --device cpu trains it, with no output file;
// --device auto trains it on the CPU, saying why in one line.
func TestDeviceRefusesHostOps(t *testing.T) {
	t.Setenv("BINCOMPRESS_CUDA_LIBS", emu.Lib(t))
	name := "act_silu_op13"
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writeSyntheticData(t, data, readFloatNPY(t, familyFile(name, ".input.npy")).Shape[1:])
	out := filepath.Join(dir, "m.bnn")
	args := []string{familyFile(name, ".onnx"), out, "--data", data, "--epochs", "0", "--device"}
	code, _, errOut := run(t, append(args, "cuda")...)
	if code != ExitFailure || !strings.Contains(errOut, "the GPU trainer does not support op") || !strings.Contains(errOut, "--device cpu trains it") {
		t.Errorf("--device cuda: exit %d, stderr %q; want 1 naming the op and the CPU", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	t.Log(lines[len(lines)-1])
	if _, err := os.Stat(out); err == nil {
		t.Error("--device cuda was refused but left an output file")
	}
	code, _, errOut = run(t, append(args, "auto")...)
	if code != 0 || strings.Count(errOut, "device auto: using the CPU (") != 1 || !strings.Contains(errOut, "GPU trainer") {
		t.Errorf("--device auto: exit %d, stderr %q; want the CPU, saying why", code, errOut)
	}
}
