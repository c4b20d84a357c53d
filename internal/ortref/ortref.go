package ortref

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bincompress/bincompress/ir"
)

const modulePath = "github.com/bincompress/bincompress"

// runTimeout bounds one onnxruntime run, model load included.
const runTimeout = 5 * time.Minute

// Options tune a run. The zero value means 2 intra-op threads, all graph
// optimizations and every graph output.
type Options struct {
	Threads      int      // intra-op threads; 0 means 2
	Optimization string   // "disabled", "basic", "extended" or "all" ("" means "all")
	Outputs      []string // outputs to fetch, in order; nil means all graph outputs
}

var (
	availOnce sync.Once
	availErr  error
	availRoot string
)

// Available reports whether onnxruntime can be run: nil when node is on PATH
// and the repository's node_modules/onnxruntime-node loads; otherwise the
// error says what is missing and how to install it.
func Available() error {
	availOnce.Do(func() { availRoot, availErr = probe() })
	return availErr
}

// SkipOrFail skips the test when Available fails, giving the reason, or
// fails it when the environment has CI=true (CI installs onnxruntime-node).
func SkipOrFail(t testing.TB) {
	t.Helper()
	skipOrFail(t, Available(), os.Getenv("CI") == "true")
}

func skipOrFail(t testing.TB, err error, ci bool) {
	t.Helper()
	switch {
	case err == nil:
	case ci:
		t.Fatalf("onnxruntime reference required under CI=true: %v", err)
	default:
		t.Skipf("onnxruntime reference not available: %v", err)
	}
}

// Run runs the model at modelPath in onnxruntime on the CPU with 2 intra-op
// threads and returns every graph output by name.
func Run(modelPath string, inputs map[string]*ir.Tensor) (map[string]*ir.Tensor, error) {
	return RunWithOptions(modelPath, inputs, Options{})
}

// RunWithOptions is Run with explicit Options.
func RunWithOptions(modelPath string, inputs map[string]*ir.Tensor, opts Options) (map[string]*ir.Tensor, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	model, err := filepath.Abs(modelPath)
	if err != nil {
		return nil, fmt.Errorf("ortref: model %s: %w", modelPath, err)
	}
	if _, err := os.Stat(model); err != nil {
		return nil, fmt.Errorf("ortref: model: %w", err)
	}
	if opts.Threads < 0 {
		return nil, fmt.Errorf("ortref: threads %d < 0", opts.Threads)
	}
	dir, err := os.MkdirTemp("", "ortref-")
	if err != nil {
		return nil, fmt.Errorf("ortref: %w", err)
	}
	defer os.RemoveAll(dir)

	m, err := writeInputs(dir, model, inputs, opts)
	if err != nil {
		return nil, err
	}
	outDir := filepath.Join(dir, "out")
	if err := runNode(availRoot, filepath.Join(dir, "inputs.json"), outDir, m); err != nil {
		return nil, fmt.Errorf("ortref: %s: %w", modelPath, err)
	}
	return readOutputs(outDir)
}

// manifest is the JSON that tools/ort/run.js reads.
type manifest struct {
	Model        string      `json:"model"`
	Threads      int         `json:"threads"`
	Optimization string      `json:"optimization,omitempty"`
	Inputs       []tensorRef `json:"inputs"`
	Outputs      []string    `json:"outputs,omitempty"`
}

// tensorRef names a raw little-endian tensor file, relative to its manifest.
type tensorRef struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Dims  []int  `json:"dims"`
	File  string `json:"file"`
}

func writeInputs(dir, model string, inputs map[string]*ir.Tensor, opts Options) (*manifest, error) {
	m := &manifest{Model: model, Threads: opts.Threads, Optimization: opts.Optimization, Outputs: opts.Outputs}
	if m.Threads == 0 {
		m.Threads = 2
	}
	names := make([]string, 0, len(inputs))
	for name := range inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		ref, err := writeTensor(dir, fmt.Sprintf("input_%d.bin", i), name, inputs[name])
		if err != nil {
			return nil, err
		}
		m.Inputs = append(m.Inputs, ref)
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("ortref: manifest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "inputs.json"), data, 0o644); err != nil {
		return nil, fmt.Errorf("ortref: %w", err)
	}
	return m, nil
}

func writeTensor(dir, file, name string, t *ir.Tensor) (tensorRef, error) {
	if t == nil {
		return tensorRef{}, fmt.Errorf("ortref: input %q is nil", name)
	}
	if err := t.Validate(); err != nil {
		return tensorRef{}, fmt.Errorf("ortref: input %q: %w", name, err)
	}
	raw, err := encodeData(t)
	if err != nil {
		return tensorRef{}, fmt.Errorf("ortref: input %q: %w", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), raw, 0o644); err != nil {
		return tensorRef{}, fmt.Errorf("ortref: input %q: %w", name, err)
	}
	dims := append([]int{}, t.Shape...)
	return tensorRef{Name: name, DType: t.DType.String(), Dims: dims, File: file}, nil
}

// runNode runs tools/ort/run.js from the repository root.
func runNode(root, manifestPath, outDir string, m *manifest) error {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	script := filepath.Join(root, "tools", "ort", "run.js")
	cmd := exec.CommandContext(ctx, "node", script, manifestPath, outDir)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if ctx.Err() != nil {
			return fmt.Errorf("onnxruntime did not finish within %v", runTimeout)
		}
		if msg == "" {
			return fmt.Errorf("node %s: %w", script, err)
		}
		return errors.New(msg)
	}
	return nil
}

func readOutputs(outDir string) (map[string]*ir.Tensor, error) {
	data, err := os.ReadFile(filepath.Join(outDir, "outputs.json"))
	if err != nil {
		return nil, fmt.Errorf("ortref: outputs: %w", err)
	}
	var info struct {
		Outputs []tensorRef `json:"outputs"`
	}
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("ortref: outputs.json: %w", err)
	}
	out := make(map[string]*ir.Tensor, len(info.Outputs))
	for _, ref := range info.Outputs {
		t, err := readTensor(outDir, ref)
		if err != nil {
			return nil, err
		}
		out[ref.Name] = t
	}
	return out, nil
}

func readTensor(dir string, ref tensorRef) (*ir.Tensor, error) {
	dt, ok := dtypeByName[ref.DType]
	if !ok {
		return nil, fmt.Errorf("ortref: output %q: unsupported dtype %q", ref.Name, ref.DType)
	}
	n := 1
	for _, d := range ref.Dims {
		if d < 0 {
			return nil, fmt.Errorf("ortref: output %q: negative dimension in %v", ref.Name, ref.Dims)
		}
		n *= d
	}
	raw, err := os.ReadFile(filepath.Join(dir, filepath.Base(ref.File)))
	if err != nil {
		return nil, fmt.Errorf("ortref: output %q: %w", ref.Name, err)
	}
	if len(raw) != n*dt.Size() {
		return nil, fmt.Errorf("ortref: output %q: %d bytes for dims %v of %v", ref.Name, len(raw), ref.Dims, dt)
	}
	t, err := decodeData(dt, raw)
	if err != nil {
		return nil, fmt.Errorf("ortref: output %q: %w", ref.Name, err)
	}
	return &ir.Tensor{Name: ref.Name, DType: dt, Shape: append([]int{}, ref.Dims...), Data: t}, nil
}

// probe finds the repository root and checks that node can load
// onnxruntime-node there.
func probe() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	if _, err := exec.LookPath("node"); err != nil {
		return "", fmt.Errorf("ortref: node not found on PATH (install Node.js >= 18): %w", err)
	}
	pkg := filepath.Join(root, "node_modules", "onnxruntime-node", "package.json")
	if _, err := os.Stat(pkg); err != nil {
		return "", fmt.Errorf("ortref: %s missing; run `ONNXRUNTIME_NODE_INSTALL=skip npm ci` in %s", pkg, root)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "-e", "require('onnxruntime-node')")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("ortref: node cannot load onnxruntime-node in %s: %v: %s", root, err, firstLine(out))
	}
	return root, nil
}

// repoRoot walks up from this source file's folder, then from the working
// directory, to the go.mod of this module.
func repoRoot() (string, error) {
	var starts []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for {
			data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err == nil && isModule(data) {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("ortref: no go.mod of module %s above %v", modulePath, starts)
}

func isModule(gomod []byte) bool {
	for _, line := range strings.Split(string(gomod), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "module" && f[1] == modulePath {
			return true
		}
	}
	return false
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
