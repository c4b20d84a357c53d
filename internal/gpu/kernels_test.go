package gpu

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/bincompress/bincompress/internal/gpu/cuda"
)

// Every kernel the Go side looks up is defined, and every defined kernel is
// looked up.
func TestKernelNamesMatchSources(t *testing.T) {
	src := cuda.Source()
	var defined []string
	for _, m := range regexp.MustCompile(`extern "C" __global__ void (\w+)\(`).FindAllStringSubmatch(src, -1) {
		defined = append(defined, m[1])
	}
	a, b := slices.Sorted(slices.Values(defined)), slices.Sorted(slices.Values(cuda.Kernels))
	if !slices.Equal(a, b) {
		t.Errorf("kernels defined %q\nkernels looked up %q", a, b)
	}
	if !strings.Contains(src, "#define RBLOCK 256\n") || reduceBlock != 256 {
		t.Error("RBLOCK in prelude.cu and reduceBlock must agree")
	}
}

func TestKernelArgsLayout(t *testing.T) {
	k, err := newKernelArgs([]any{Buffer{Ptr: 0xdeadbeef00}, int32(-2), float32(1.5), int64(1 << 40), uint64(7)})
	if err != nil {
		t.Fatal(err)
	}
	if *(*uint64)(k.ptrs[0]) != 0xdeadbeef00 || *(*int32)(k.ptrs[1]) != -2 || *(*float32)(k.ptrs[2]) != 1.5 ||
		*(*int64)(k.ptrs[3]) != 1<<40 || *(*uint64)(k.ptrs[4]) != 7 {
		t.Errorf("slots %#x", k.slots)
	}
	if _, err := newKernelArgs([]any{1}); err == nil {
		t.Error("a Go int (ambiguous width) was accepted as a kernel argument")
	}
	if math.Float32frombits(uint32(k.slots[2])) != 1.5 || unsafe.Sizeof(k.slots[0]) != 8 {
		t.Error("float slot")
	}
}

func TestCompileOptions(t *testing.T) {
	o := compileOptions(9, 0, true)
	for _, want := range []string{"--gpu-architecture=sm_90", "--fmad=false", "--prec-div=true"} {
		if !slices.Contains(o, want) {
			t.Errorf("options %q lack %q", o, want)
		}
	}
	if !slices.Contains(compileOptions(8, 6, false), "--gpu-architecture=compute_86") {
		t.Error("PTX options")
	}
}

// The CUDA sources compile to PTX with clang's CUDA front end where clang
// is installed (no CUDA toolkit needed; testdata/clang_prelude.h declares
// what NVRTC provides implicitly). NVRTC itself runs in the device check.
func TestKernelsCompileWithClang(t *testing.T) {
	clang := ""
	for _, c := range []string{"clang", "clang-19", "clang-18", "clang-17", "clang-16", "clang-15", "clang-14"} {
		if p, err := exec.LookPath(c); err == nil {
			clang = p
			break
		}
	}
	if clang == "" {
		t.Skip("no clang: the CUDA sources are not syntax-checked here")
	}
	src := cuda.Source()
	prelude, err := os.ReadFile("testdata/clang_prelude.h")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "k.cu"), filepath.Join(dir, "k.ptx")
	if err := os.WriteFile(in, append(prelude, src...), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(clang, "-x", "cuda", "--cuda-device-only", "--cuda-gpu-arch=sm_70", "-nocudainc", "-nocudalib",
		"-O2", "-ffp-contract=off", "-Wall", "-S", "-o", out, in)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(msg), "cannot find") || strings.Contains(string(msg), "unsupported") {
			t.Skipf("clang cannot target CUDA here: %s", msg)
		}
		t.Fatalf("%s: %v\n%s", clang, err, msg)
	}
	if len(msg) > 0 { // warnings differ between clang versions: shown, not fatal
		t.Logf("%s:\n%s", clang, msg)
	}
	ptx, _ := os.ReadFile(out)
	for _, name := range cuda.Kernels {
		if !strings.Contains(string(ptx), ".entry "+name+"(") {
			t.Errorf("PTX lacks entry %s", name)
		}
	}
}
