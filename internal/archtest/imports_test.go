package archtest

import (
	"bufio"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/bincompress/bincompress/"

// thirdParty lists the packages allowed to import a confined module.
var thirdParty = map[string][]string{
	"google.golang.org/protobuf":      {"onnx"},
	"github.com/owulveryck/onnx-go":   {"onnx"},
	"gorgonia.org/tensor":             {"ir", "onnx", "infer"},
	"github.com/spf13/cobra":          {"cmd/bincompress/cli"},
	"github.com/yalue/onnxruntime_go": {},
	"github.com/schollz/progressbar":  {"cmd/bincompress/cli"},
	"golang.org/x/term":               {"cmd/bincompress/cli"},
}

// testOnly lists packages only _test.go files may import: the product must
// not depend on a source checkout (internal/ortref finds onnxruntime in the
// repository's node_modules).
var testOnly = map[string]bool{"internal/ortref": true}

func repoRoot(t *testing.T) string {
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// readLayers parses the layer table of docs/ARCHITECTURE.md.
func readLayers(t *testing.T, root string) map[string]int {
	f, err := os.Open(filepath.Join(root, "docs", "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile(`^\|\s*(\d+)\s*\|\s*([a-z/_, ]+)\|\s*$`)
	layers := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := row.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		for _, p := range strings.Split(m[2], ",") {
			layers[strings.TrimSpace(p)] = n
		}
	}
	if len(layers) < 10 {
		t.Fatalf("docs/ARCHITECTURE.md: found only %d packages in the layer table", len(layers))
	}
	return layers
}

// component returns the table entry that owns a package path: the longest
// entry that is the path or a parent of it.
func component(layers map[string]int, pkg string) (string, bool) {
	best := ""
	for p := range layers {
		if (pkg == p || strings.HasPrefix(pkg, p+"/")) && len(p) > len(best) {
			best = p
		}
	}
	return best, best != ""
}

// TestImportDirection fails on any import that goes up or sideways.
func TestImportDirection(t *testing.T) {
	root := repoRoot(t)
	layers := readLayers(t, root)
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if name == "testdata" || name == "node_modules" || (strings.HasPrefix(name, ".") && path != root) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		if rel == "internal/archtest" || rel == "internal/testutil" {
			return nil
		}
		from, ok := component(layers, rel)
		if !ok {
			t.Errorf("%s: package %s is not in the layer table of docs/ARCHITECTURE.md", path, rel)
			return nil
		}
		checked++
		for _, v := range violations(t, path, from, layers) {
			t.Error(v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no Go files checked")
	}
}

// violations lists the imports of one file that break the layering.
func violations(t *testing.T, path, from string, layers map[string]int) []string {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if strings.HasPrefix(p, module) {
			to, ok := component(layers, strings.TrimPrefix(p, module))
			if !ok {
				out = append(out, fmt.Sprintf("%s imports %s, which is not in the layer table", path, p))
				continue
			}
			if testOnly[to] && to != from {
				out = append(out, fmt.Sprintf("%s (%s) imports %s, which only _test.go files may import", path, from, to))
				continue
			}
			if to != from && layers[to] >= layers[from] {
				out = append(out, fmt.Sprintf("%s (%s, layer %d) imports %s (layer %d): imports must go to a lower layer", path, from, layers[from], to, layers[to]))
			}
			continue
		}
		for mod, allowed := range thirdParty {
			if p == mod || strings.HasPrefix(p, mod+"/") {
				if !contains(allowed, from) {
					out = append(out, fmt.Sprintf("%s (%s) imports %s, which only %v may use", path, from, p, allowed))
				}
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestViolationsDetected proves the checker catches upward, sideways and
// confined third-party imports.
func TestViolationsDetected(t *testing.T) {
	layers := readLayers(t, repoRoot(t))
	src := `package pack

import (
	_ "github.com/bincompress/bincompress/cmd/bincompress/cli"
	_ "github.com/bincompress/bincompress/onnx"
	_ "github.com/bincompress/bincompress/ir"
	_ "github.com/spf13/cobra"
	_ "github.com/bincompress/bincompress/internal/ortref"
)
`
	path := filepath.Join(t.TempDir(), "bad.go")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := violations(t, path, "pack", layers)
	if len(got) != 4 {
		t.Fatalf("want 4 violations (cli upward, onnx sideways, cobra confined, ortref test-only), got %d: %q", len(got), got)
	}
}
