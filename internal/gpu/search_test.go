package gpu

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeTree writes empty files (fake libraries) below root.
func fakeTree(t *testing.T, root string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func fakeEnv(root string, vars map[string]string) searchEnv {
	return searchEnv{root: root, getenv: func(k string) string { return vars[k] }}
}

// fakeOpener "loads" the listed paths and fails on everything else, as
// dlopen would; it records every attempt.
type fakeOpener struct {
	ok    map[string]bool
	tried []string
}

func (f *fakeOpener) open(p string) (uintptr, error) {
	f.tried = append(f.tried, p)
	if f.ok[p] {
		return uintptr(len(f.tried)), nil
	}
	return 0, errors.New(p + ": cannot open shared object file")
}

func TestSearchOrder(t *testing.T) {
	root, home, ld := t.TempDir(), t.TempDir(), t.TempDir()
	fakeTree(t, root,
		"usr/local/cuda-12.4/lib64/libcublas.so.12",
		"usr/local/cuda-13.0/lib64/libcublas.so.13",
		"usr/lib/python3.11/dist-packages/nvidia/cu13/lib/libcublas.so.13",
		"usr/lib/x86_64-linux-gnu/libcublas.so",
		"usr/local/lib/python3.9/site-packages/nvidia/cublas/lib/libcublas.so.12")
	fakeTree(t, home, ".local/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12")
	fakeTree(t, ld, "libcublas.so.13", "libcublas.so.11") // 11 is not accepted
	env := fakeEnv(root, map[string]string{"HOME": home, "LD_LIBRARY_PATH": ld + "::/nonexistent"})
	files, searched := env.candidates(libBLAS)
	want := []string{
		filepath.Join(ld, "libcublas.so.13"),
		filepath.Join(root, "usr/local/cuda-13.0/lib64/libcublas.so.13"),
		filepath.Join(root, "usr/local/cuda-12.4/lib64/libcublas.so.12"),
		filepath.Join(root, "usr/lib/python3.11/dist-packages/nvidia/cu13/lib/libcublas.so.13"),
		filepath.Join(root, "usr/local/lib/python3.9/site-packages/nvidia/cublas/lib/libcublas.so.12"),
		filepath.Join(home, ".local/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12"),
		filepath.Join(root, "usr/lib/x86_64-linux-gnu/libcublas.so"),
	}
	if !slices.Equal(files, want) {
		t.Errorf("candidates:\n got %q\nwant %q", files, want)
	}
	if !slices.Contains(searched, "/nonexistent") || slices.Contains(searched, "") {
		t.Errorf("searched dirs should keep LD_LIBRARY_PATH entries and drop empty ones: %q", searched)
	}
}

func TestSearchEnvVariables(t *testing.T) {
	root, cuda, explicit, venv := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	fakeTree(t, cuda, "lib64/libnvrtc.so.12")
	fakeTree(t, explicit, "libnvrtc.so.13")
	fakeTree(t, root, "usr/lib/python3.11/dist-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12")
	// A virtualenv found through the python3 on PATH, as /opt/torch/.venv.
	fakeTree(t, venv, "bin/python3", "lib/python3.12/site-packages/nvidia/cu13/lib/libnvrtc.so.13")
	env := fakeEnv(root, map[string]string{"CUDA_HOME": cuda, "BINCOMPRESS_CUDA_LIBS": explicit,
		"PATH": "/nonexistent/bin:" + filepath.Join(venv, "bin")})
	files, _ := env.candidates(libNVRTC)
	want := []string{
		filepath.Join(explicit, "libnvrtc.so.13"),
		filepath.Join(cuda, "lib64/libnvrtc.so.12"),
		filepath.Join(root, "usr/lib/python3.11/dist-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12"),
		filepath.Join(venv, "lib/python3.12/site-packages/nvidia/cu13/lib/libnvrtc.so.13"),
	}
	if !slices.Equal(files, want) {
		t.Errorf("candidates:\n got %q\nwant %q", files, want)
	}
}

func TestOpenAllLoadsInDependencyOrder(t *testing.T) {
	root := t.TempDir()
	lib := filepath.Join(root, "usr/lib/python3.12/dist-packages/nvidia/cu13/lib")
	fakeTree(t, root, "usr/lib/x86_64-linux-gnu/libcuda.so.1",
		"usr/lib/python3.12/dist-packages/nvidia/cu13/lib/libcublasLt.so.13",
		"usr/lib/python3.12/dist-packages/nvidia/cu13/lib/libcublas.so.13",
		"usr/lib/python3.12/dist-packages/nvidia/cu13/lib/libnvrtc.so.13")
	driver := filepath.Join(root, "usr/lib/x86_64-linux-gnu/libcuda.so.1")
	op := &fakeOpener{ok: map[string]bool{driver: true, filepath.Join(lib, "libcublasLt.so.13"): true,
		filepath.Join(lib, "libcublas.so.13"): true, filepath.Join(lib, "libnvrtc.so.13"): true}}
	ls, err := openAll(fakeEnv(root, nil), op.open)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{driver, filepath.Join(lib, "libcublasLt.so.13"), filepath.Join(lib, "libcublas.so.13"), filepath.Join(lib, "libnvrtc.so.13")}
	if !slices.Equal(ls.paths(), want) || !slices.Equal(op.tried, want) {
		t.Errorf("loaded %q (tried %q), want %q", ls.paths(), op.tried, want)
	}
}

func TestMissingDriverError(t *testing.T) {
	root, ld := t.TempDir(), t.TempDir()
	fakeTree(t, ld, "libcuda.so.1") // exists but fails to load
	op := &fakeOpener{}
	_, err := openAll(fakeEnv(root, map[string]string{"LD_LIBRARY_PATH": ld}), op.open)
	var me *MissingLibraryError
	if !errors.As(err, &me) || !errors.Is(err, ErrNoGPU) {
		t.Fatalf("error %v: want a MissingLibraryError matching ErrNoGPU", err)
	}
	msg := err.Error()
	for _, s := range []string{"gpu: CUDA driver not found", "libcuda.so.1, libcuda.so", ld,
		filepath.Join(root, "usr/lib/x86_64-linux-gnu"), "found but failed to load: " + filepath.Join(ld, "libcuda.so.1"),
		"NVIDIA kernel driver"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error text lacks %q:\n%s", s, msg)
		}
	}
	// After the fake copies, the bare names go to the system loader.
	if !slices.Contains(op.tried, "libcuda.so.1") {
		t.Errorf("bare soname not tried: %q", op.tried)
	}
}

func TestMissingCUBLASError(t *testing.T) {
	root := t.TempDir()
	fakeTree(t, root, "usr/lib64/libcuda.so.1", "usr/lib/python3.11/dist-packages/nvidia/cu13/lib/libnvrtc.so.13")
	op := &fakeOpener{ok: map[string]bool{filepath.Join(root, "usr/lib64/libcuda.so.1"): true}}
	_, err := openAll(fakeEnv(root, nil), op.open)
	msg := fmtErr(err)
	for _, s := range []string{"gpu: cuBLAS not found", "libcublas.so.13, libcublas.so.12, libcublas.so",
		filepath.Join(root, "usr/lib/python3.11/dist-packages/nvidia/cu13/lib"), "/usr/local/cuda", "BINCOMPRESS_CUDA_LIBS"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error text lacks %q:\n%s", s, msg)
		}
	}
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestCheckVersions(t *testing.T) {
	cases := []struct {
		driver, nvrtc int
		want          string // "" = accepted
	}{
		{13000, 13000, ""}, {13020, 12080, ""}, {12080, 12040, ""},
		{12040, 13000, "driver supports CUDA 12.4 but NVRTC is 13.0"},
		{11080, 12000, "CUDA driver supports CUDA 11.8; 12.0 or newer is needed"},
	}
	for _, c := range cases {
		err := checkVersions(c.driver, c.nvrtc)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrNoGPU)) {
			t.Errorf("checkVersions(%d, %d) = %v, want %q", c.driver, c.nvrtc, err, c.want)
		}
	}
}

func TestVersionLess(t *testing.T) {
	in := []string{"/usr/local/cuda-13.0", "/usr/local/cuda-12.10", "/usr/local/cuda-12.9", "python3.12", "python3.9"}
	slices.SortFunc(in, func(a, b string) int {
		if versionLess(a, b) {
			return -1
		}
		if versionLess(b, a) {
			return 1
		}
		return 0
	})
	want := []string{"python3.9", "python3.12", "/usr/local/cuda-12.9", "/usr/local/cuda-12.10", "/usr/local/cuda-13.0"}
	if !slices.Equal(in, want) {
		t.Errorf("got %q, want %q", in, want)
	}
}
