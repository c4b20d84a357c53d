package emu

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/bincompress/bincompress/internal/gpu/cuda"
	"github.com/ebitengine/purego"
)

//go:embed src/blocks.h src/fakecuda.cpp src/selftest.cu
var files embed.FS

// selfTest are the kernels of selftest.cu, which test the emulation itself.
var selfTest = []string{"emu_rotate", "emu_rotate_racy", "emu_diverge", "emu_ids"}

// Names are the file names the library is linked under: what package gpu's
// search looks for.
var Names = []string{"libcuda.so.1", "libcublas.so.13", "libnvrtc.so.13"}

// ErrNoCompiler says that neither g++ nor clang++ is on PATH.
var ErrNoCompiler = errors.New("emu: no C++ compiler (g++ or clang++) on PATH")

// flags compile the fake: no contraction into fused multiply-adds, as the
// kernels are compiled for the GPU (--fmad=false).
var flags = []string{"-std=c++17", "-O2", "-shared", "-fPIC", "-fvisibility=hidden", "-ffp-contract=off", "-pthread"}

// Build compiles the emulation library with the first C++ compiler found
// and returns its directory, which holds it under Names. Builds are cached
// under the user's cache directory (or the system's temporary directory),
// keyed by the sources, the flags and the compiler's version.
func Build() (string, error) {
	cxx, err := compiler()
	if err != nil {
		return "", err
	}
	sources, err := inputs()
	if err != nil {
		return "", err
	}
	version, _ := exec.Command(cxx, "--version").Output()
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", cxx, version, strings.Join(flags, " "))
	for _, name := range sortedKeys(sources) {
		fmt.Fprintf(h, "%s %d\n%s", name, len(sources[name]), sources[name])
	}
	dir := filepath.Join(cacheRoot(), hex.EncodeToString(h.Sum(nil))[:24])
	if _, err := os.Stat(filepath.Join(dir, Names[0])); err == nil {
		return dir, nil
	}
	return dir, compile(cxx, dir, sources)
}

func compiler() (string, error) {
	for _, c := range []string{"g++", "clang++"} {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", ErrNoCompiler
}

// inputs are the files of one build: the fake, the kernels (package cuda's
// and the self-test's) and the list of kernel names.
func inputs() (map[string]string, error) {
	out := map[string]string{}
	for _, n := range []string{"blocks.h", "fakecuda.cpp", "selftest.cu"} {
		data, err := files.ReadFile("src/" + n)
		if err != nil {
			return nil, err
		}
		out[n] = string(data)
	}
	src := cuda.Source() + "// ---- selftest.cu\n" + out["selftest.cu"]
	out["kernels_all.cu"] = src
	barriers := barrierFuncs(src)
	var list strings.Builder
	for _, k := range append(append([]string(nil), cuda.Kernels...), selfTest...) {
		fmt.Fprintf(&list, "K(%s, %v)\n", k, barriers[k])
	}
	out["kernel_list.h"] = list.String()
	return out, nil
}

// signature finds the name of each __global__ or __device__ function.
var signature = regexp.MustCompile(`(?m)^(?:extern "C" )?(?:__global__|__device__)[^;{(]*?\b(\w+)\(`)

// barrierFuncs reports which functions of src reach __syncthreads, directly
// or through a __device__ function that does: their threads must run on
// fibers; the others' threads run as plain calls (a barrier one reaches
// anyway fails its launch, so a wrong answer here shows).
func barrierFuncs(src string) map[string]bool {
	bodies := map[string]string{}
	for _, m := range signature.FindAllStringSubmatchIndex(src, -1) {
		open := strings.IndexByte(src[m[1]:], '{')
		if open < 0 {
			continue
		}
		start, depth := m[1]+open, 0
		for i := start; i < len(src); i++ {
			if src[i] == '{' {
				depth++
			} else if src[i] == '}' {
				if depth--; depth == 0 {
					bodies[src[m[2]:m[3]]] = src[start : i+1]
					break
				}
			}
		}
	}
	uses := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for name, body := range bodies {
			if uses[name] {
				continue
			}
			hit := strings.Contains(body, "__syncthreads")
			for callee := range uses {
				hit = hit || regexp.MustCompile(`\b`+callee+`\(`).MatchString(body)
			}
			if hit {
				uses[name], changed = true, true
			}
		}
	}
	return uses
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys { // insertion sort: four keys
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func cacheRoot() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "bincompress", "cudaemu")
	}
	return filepath.Join(os.TempDir(), "bincompress-cudaemu")
}

// compile builds into a fresh directory beside dir and renames it into
// place, so that concurrent test processes never see half a build.
func compile(cxx, dir string, sources map[string]string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("emu: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".build-")
	if err != nil {
		return fmt.Errorf("emu: %w", err)
	}
	defer os.RemoveAll(tmp)
	for name, data := range sources {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(data), 0o644); err != nil {
			return fmt.Errorf("emu: %w", err)
		}
	}
	lib := "libfakecuda.so"
	args := append(append([]string(nil), flags...), "-I", tmp, "-o", filepath.Join(tmp, lib), filepath.Join(tmp, "fakecuda.cpp"))
	if msg, err := exec.Command(cxx, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("emu: %s: %v\n%s", cxx, err, msg)
	}
	for _, n := range Names {
		if err := os.Symlink(lib, filepath.Join(tmp, n)); err != nil {
			return fmt.Errorf("emu: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, Names[0])); serr == nil {
			return nil // another process finished the same build first
		}
		return fmt.Errorf("emu: %w", err)
	}
	return nil
}

var built struct {
	once sync.Once
	dir  string
	err  error
}

// Lib returns the directory of the emulation library for a test, building
// it on first use in the process. Without a C++ compiler it skips t, or
// fails it under CI=true (where the compiler is installed on purpose).
func Lib(t testing.TB) string {
	t.Helper()
	built.once.Do(func() { built.dir, built.err = Build() })
	switch {
	case errors.Is(built.err, ErrNoCompiler) && os.Getenv("CI") != "true":
		t.Skip("the CUDA emulation is skipped: " + built.err.Error())
	case built.err != nil:
		t.Fatal(built.err)
	}
	return built.dir
}

// Control is the library's test interface: settings and counters.
type Control struct {
	set func(key string, v int64)
	get func(key string) int64
}

// Open binds the test interface of the library in dir (the same loaded
// copy the backend uses: the dynamic loader opens a file once).
func Open(dir string) (*Control, error) {
	h, err := purego.Dlopen(filepath.Join(dir, Names[0]), purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("emu: %w", err)
	}
	c := &Control{}
	purego.RegisterLibFunc(&c.set, h, "fakecuda_set")
	purego.RegisterLibFunc(&c.get, h, "fakecuda_get")
	return c, nil
}

// Set changes a setting: "devices" (0 makes cuInit report no device),
// "driver" (the CUDA version the driver reports, e.g. 12040), "order" (the
// order the threads of a block run in between barriers: 0 forward, 1
// reverse, 2 shuffled), "workers" (OS threads running blocks; 0: up to 4),
// "memlimit" (device memory in bytes).
func (c *Control) Set(key string, v int64) { c.set(key, v) }

// Get reads a counter: "launches", "threads" (GPU threads run to
// completion), "allocs" (successful cuMemAlloc calls), "live" and
// "live_bytes" (allocations not yet freed).
func (c *Control) Get(key string) int64 { return c.get(key) }
