package gpu

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// library describes one shared library the backend loads.
type library struct {
	what   string   // human name for errors: "CUDA driver"
	names  []string // exact file names, best first
	prefix string   // versioned files "prefix.<major>" are found by glob
	majors []int    // accepted major versions for prefix, best first
	pipSub []string // directories below site-packages that the pip wheels use
}

// The libraries, in load order: cuBLAS needs cuBLASLt loaded first.
var (
	libDriver = library{what: "CUDA driver", names: []string{"libcuda.so.1", "libcuda.so"}}
	libBLASLt = library{what: "cuBLASLt", prefix: "libcublasLt.so", majors: []int{13, 12},
		pipSub: []string{"nvidia/cu13/lib", "nvidia/cublas/lib"}}
	libBLAS = library{what: "cuBLAS", prefix: "libcublas.so", majors: []int{13, 12},
		pipSub: []string{"nvidia/cu13/lib", "nvidia/cublas/lib"}}
	libNVRTC = library{what: "NVRTC", prefix: "libnvrtc.so", majors: []int{13, 12},
		pipSub: []string{"nvidia/cu13/lib", "nvidia/cuda_nvrtc/lib"}}
)

// fileNames lists the names to look for, best first.
func (l library) fileNames() []string {
	out := append([]string(nil), l.names...)
	for _, m := range l.majors {
		out = append(out, l.prefix+"."+strconv.Itoa(m))
	}
	if l.prefix != "" {
		out = append(out, l.prefix)
	}
	return out
}

// searchEnv is what the search reads from the system; tests replace it with
// a fake tree.
type searchEnv struct {
	getenv func(string) string
	root   string // prefix of the fixed system directories ("" = real root)
}

func systemEnv() searchEnv { return searchEnv{getenv: os.Getenv} }

// systemLibDirs are the loader's usual directories plus those of the NVIDIA
// container runtime and WSL.
var systemLibDirs = []string{
	"/usr/local/nvidia/lib64", "/usr/local/nvidia/lib", "/usr/lib/wsl/lib",
	"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
	"/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu",
	"/usr/lib64", "/lib64", "/usr/lib", "/lib",
}

// sitePatterns are the python site directories searched for pip wheels,
// found without running python.
var sitePatterns = []string{
	"/usr/lib/python3*/dist-packages", "/usr/lib/python3/dist-packages",
	"/usr/local/lib/python3*/dist-packages", "/usr/local/lib/python3*/site-packages",
}

// dirs lists the directories searched for l, in order, without duplicates:
// BINCOMPRESS_CUDA_LIBS, LD_LIBRARY_PATH, CUDA_HOME and CUDA_PATH,
// /usr/local/cuda*, the pip wheels' directories, then the system library
// directories.
func (e searchEnv) dirs(l library) []string {
	var out []string
	out = append(out, splitList(e.getenv("BINCOMPRESS_CUDA_LIBS"))...)
	out = append(out, splitList(e.getenv("LD_LIBRARY_PATH"))...)
	for _, v := range []string{"CUDA_HOME", "CUDA_PATH"} {
		if h := e.getenv(v); h != "" {
			out = append(out, filepath.Join(h, "lib64"), filepath.Join(h, "lib"))
		}
	}
	// A pattern that matched nothing stays in the list, so that an error
	// shows where the search looked.
	if m := e.globDirs("/usr/local/cuda/lib64", "/usr/local/cuda-*/lib64"); len(m) > 0 {
		out = append(out, m...)
	} else {
		out = append(out, e.root+"/usr/local/cuda*/lib64")
	}
	sites := e.siteDirs()
	if len(sites) == 0 {
		sites = []string{e.root + "/usr/lib/python3*/dist-packages"}
	}
	for _, site := range sites {
		for _, sub := range l.pipSub {
			out = append(out, filepath.Join(site, sub))
		}
	}
	for _, d := range systemLibDirs {
		out = append(out, e.root+d)
	}
	return dedupe(out)
}

// siteDirs are the python site-packages directories that exist: the
// system's, VIRTUAL_ENV's and CONDA_PREFIX's, the user's, and those of the
// python3 interpreters on PATH.
func (e searchEnv) siteDirs() []string {
	pats := make([]string, 0, len(sitePatterns)+3)
	for _, p := range sitePatterns {
		pats = append(pats, e.root+p)
	}
	for _, v := range []string{"VIRTUAL_ENV", "CONDA_PREFIX"} {
		if p := e.getenv(v); p != "" {
			pats = append(pats, filepath.Join(p, "lib/python3*/site-packages"))
		}
	}
	if h := e.getenv("HOME"); h != "" {
		pats = append(pats, filepath.Join(h, ".local/lib/python3*/site-packages"))
	}
	// The environment of each python3 on PATH (a virtualenv's bin/python3
	// sits two levels below its prefix), found without running it.
	for _, d := range splitList(e.getenv("PATH")) {
		if isFile(filepath.Join(d, "python3")) {
			pats = append(pats, filepath.Join(filepath.Dir(d), "lib/python3*/site-packages"))
		}
	}
	return globAll(pats)
}

// globDirs expands fixed system patterns below e.root; a versioned
// /usr/local/cuda-X.Y sorts newest first.
func (e searchEnv) globDirs(pats ...string) []string {
	var out []string
	for _, p := range pats {
		m, _ := filepath.Glob(e.root + p)
		sort.Slice(m, func(i, j int) bool { return versionLess(m[j], m[i]) })
		out = append(out, m...)
	}
	return out
}

// globAll expands patterns, newest python first within each.
func globAll(pats []string) []string {
	var out []string
	for _, p := range pats {
		m, _ := filepath.Glob(p)
		sort.Slice(m, func(i, j int) bool { return versionLess(m[j], m[i]) })
		out = append(out, m...)
	}
	return dedupe(out)
}

// candidates lists the existing files for l in search order: for each
// directory, each accepted name.
func (e searchEnv) candidates(l library) (files, searched []string) {
	searched = e.dirs(l)
	for _, d := range searched {
		for _, n := range l.fileNames() {
			p := filepath.Join(d, n)
			if isFile(p) {
				files = append(files, p)
			}
		}
	}
	return files, searched
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func splitList(s string) []string {
	var out []string
	for _, p := range filepath.SplitList(s) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := in[:0:0]
	for _, s := range in {
		s = filepath.Clean(s)
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// versionLess orders paths by their embedded numbers ("cuda-12.9" <
// "cuda-13.0", "python3.9" < "python3.12"), falling back to text order.
func versionLess(a, b string) bool {
	na, nb := numbers(a), numbers(b)
	for i := 0; i < len(na) && i < len(nb); i++ {
		if na[i] != nb[i] {
			return na[i] < nb[i]
		}
	}
	if len(na) != len(nb) {
		return len(na) < len(nb)
	}
	return a < b
}

func numbers(s string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	return out
}
