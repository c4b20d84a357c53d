package export

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/bincompress/bincompress/internal/dataset"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// CheckPrefix reports whether prefix can name the C export's files and
// symbols: a C identifier of at most MaxPrefix characters that is not the
// name of a standard C header (in any case).
func CheckPrefix(prefix string) error {
	if !identifier.MatchString(prefix) || len(prefix) > MaxPrefix {
		return fmt.Errorf("export: prefix %q is not a C identifier of at most %d characters starting with a letter", prefix, MaxPrefix)
	}
	if stdHeaders[strings.ToLower(prefix)] {
		return fmt.Errorf("export: prefix %q would write %s.h, which hides the standard header <%s.h> from every file compiled with the export's folder on the include path; choose another name",
			prefix, prefix, strings.ToLower(prefix))
	}
	return nil
}

// DefaultPrefix names the C export's files, function and macros.
const DefaultPrefix = "bnn"

// runSuffix makes PREFIX_run, the export's one identifier with external
// linkage; the rest are static or macros.
const runSuffix = "_run"

// MaxPrefix is the longest prefix: C99 guarantees 31 significant
// characters in an external identifier (PREFIX_run) and 63 in the others
// (the longest is PREFIX_multiplierN for the N-th constant, then
// PREFIX_WORKSPACE_BYTES), so longer names may collide on some compilers.
const MaxPrefix = 31 - len(runSuffix)

// identifier is a C identifier that does not start with an underscore:
// PREFIX_run would then be a name C reserves for the implementation.
var identifier = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// stdHeaders are the C99 and C11 standard headers. PREFIX.c includes
// <math.h>, <stddef.h> and <string.h>, and the caller's code others: with
// the export's folder on the include path (-I), as a firmware build puts
// it, PREFIX.h would be found first. Case-insensitive file systems find
// Math.h for <math.h> too.
var stdHeaders = map[string]bool{}

func init() {
	for _, h := range strings.Fields(`assert complex ctype errno fenv float inttypes iso646 limits locale math
		setjmp signal stdalign stdarg stdatomic stdbool stddef stdint stdio stdlib stdnoreturn string tgmath
		threads time uchar wchar wctype`) {
		stdHeaders[h] = true
	}
}

// CFootprint is what the C export needs on a device: Flash is the bytes of
// const data (weights, bits, multipliers, biases, layer geometry; 4-byte
// long), RAM the workspace bytes (BNN_WORKSPACE_BYTES). The caller's input
// and output arrays and the code itself are not counted.
type CFootprint struct {
	FlashBytes int64 `json:"flash_bytes"`
	RAMBytes   int64 `json:"ram_bytes"`
}

// C returns the C99 header and source of a .bnn for one image: PREFIX.h
// declares PREFIX_run and the PREFIX_INPUT_SIZE, PREFIX_OUTPUT_SIZE and
// PREFIX_WORKSPACE_BYTES macros (upper case); PREFIX.c includes "PREFIX.h".
// prefix "" means DefaultPrefix; it must be a C identifier. An op the C
// target lacks is a *schema.UnsupportedOpError (stage schema.CExport).
func C(m *ir.Model, prefix string) (header, source []byte, err error) {
	g, err := generate(m, prefix)
	if err != nil {
		return nil, nil, err
	}
	return []byte(g.header()), []byte(g.source()), nil
}

// Footprint returns the C export's flash and RAM bytes for m.
func Footprint(m *ir.Model) (CFootprint, error) {
	g, err := generate(m, DefaultPrefix)
	if err != nil {
		return CFootprint{}, err
	}
	return g.footprint(), nil
}

// WriteC writes PREFIX.h and PREFIX.c into dir: both go to temporary files
// first and are renamed into place only when both are written, so a failure
// leaves neither.
func WriteC(dir, prefix string, m *ir.Model) error {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	h, c, err := C(m, prefix)
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
	}{{prefix + ".h", h}, {prefix + ".c", c}}
	var temps []string
	defer func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}()
	for _, f := range files {
		tmp, err := writeTemp(dir, f.name, f.data)
		if err != nil {
			return err
		}
		temps = append(temps, tmp)
	}
	for i, f := range files {
		if err := os.Rename(temps[i], filepath.Join(dir, f.name)); err != nil {
			for _, done := range files[:i] {
				os.Remove(filepath.Join(dir, done.name))
			}
			return fmt.Errorf("export: %w", err)
		}
		temps[i] = ""
	}
	return nil
}

func writeTemp(dir, name string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp*")
	if err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("export: %s: %w", name, err)
	}
	return f.Name(), nil
}

// cgen accumulates the C text of one model.
type cgen struct {
	*plan
	prefix, macro string
	prep          *dataset.Preprocess // as the .bnn records it; nil: not recorded
	data, body    strings.Builder
	kernels       map[string]bool
	flash         int64
	nsym          int
}

func generate(m *ir.Model, prefix string) (*cgen, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if err := CheckPrefix(prefix); err != nil {
		return nil, err
	}
	p, err := newPlan(m)
	if err != nil {
		return nil, err
	}
	prep, err := recordedPreprocess(m)
	if err != nil {
		return nil, err
	}
	g := &cgen{plan: p, prefix: prefix, macro: strings.ToUpper(prefix), prep: prep, kernels: map[string]bool{}}
	for _, n := range p.nodes {
		op, _ := lookupCOp(n)
		if err := op.emit(g, n); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func (g *cgen) footprint() CFootprint {
	return CFootprint{FlashBytes: g.flash, RAMBytes: int64(4 * g.wsFloats)}
}

func (g *cgen) opset(n *ir.Node) int64 { return g.bound[n].Opset }

// attrsOf returns node n's attributes as the op layer read them.
func attrsOf[T any](g *cgen, n *ir.Node) (*T, error) { return schema.As[T](g.bound[n]) }

// sym returns a fresh static symbol name.
func (g *cgen) sym(what string) string {
	g.nsym++
	return fmt.Sprintf("%s_%s%d", g.prefix, what, g.nsym)
}

// ptr is the C expression for a value's first float: the input, a place in
// the workspace, or, for a constant read where a value is expected, a const
// array.
func (g *cgen) ptr(name string) string {
	s := g.store[name]
	switch {
	case s == nil:
		return g.floats(&ir.Node{Name: name}, "constant", mustFloats(g.consts[name]))
	case s.external:
		return "input"
	}
	return "ws + " + strconv.Itoa(s.offset)
}

// call appends a kernel call for node n to the body.
func (g *cgen) call(n *ir.Node, kernel, format string, args ...any) {
	g.kernels[kernel] = true
	g.comment(n, "")
	fmt.Fprintf(&g.body, "    %s_%s(%s);\n", g.prefix, kernel, fmt.Sprintf(format, args...))
}

func (g *cgen) comment(n *ir.Node, note string) {
	text := n.OpType + " " + strconv.Quote(n.Name)
	if note != "" {
		text += ": " + note
	}
	fmt.Fprintf(&g.body, "    /* %s */\n", commentText(text))
}

// commentText is text made safe inside a C comment: a "*/" would end it
// early and a "/*" is a nested comment, which gcc -Wall reports.
func commentText(text string) string {
	return strings.ReplaceAll(strings.ReplaceAll(text, "*/", "* /"), "/*", "/ *")
}

// float is a C float literal that reads back as exactly v.
func (g *cgen) float(v float32) string {
	f := float64(v)
	switch {
	case math.IsNaN(f):
		return "NAN"
	case math.IsInf(f, 1):
		return "INFINITY"
	case math.IsInf(f, -1):
		return "-INFINITY"
	}
	s := strconv.FormatFloat(f, 'g', -1, 32)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s + "f"
}

// floats emits a const float array and returns its name.
func (g *cgen) floats(n *ir.Node, what string, v []float32) string {
	name := g.sym(what)
	fmt.Fprintf(&g.data, "/* %s of %s */\nstatic const float %s[%d] = {", what, commentText(strconv.Quote(n.Name)), name, max(1, len(v)))
	for i, x := range v {
		if i%8 == 0 {
			g.data.WriteString("\n    ")
		} else {
			g.data.WriteByte(' ')
		}
		g.data.WriteString(g.float(x))
		g.data.WriteByte(',')
	}
	if len(v) == 0 {
		g.data.WriteString("0.0f")
	}
	g.data.WriteString("\n};\n")
	g.flash += int64(4 * max(1, len(v)))
	return name
}

// constFloats emits a constant input of n that must hold want floats.
func (g *cgen) constFloats(n *ir.Node, name string, want int) (string, error) {
	t := g.consts[name]
	if t == nil || t.DType != ir.Float32 || t.Len() != want {
		return "", g.errf(n, "input %q is not a constant float32 tensor of %d values", name, want)
	}
	return g.floats(n, "bias", t.Data.([]float32)), nil
}

// scalar reads a constant one-element float input.
func (g *cgen) scalar(n *ir.Node, name string) (float32, error) {
	t := g.consts[name]
	if t == nil || t.Len() != 1 {
		return 0, g.errf(n, "input %q is not a constant scalar", name)
	}
	v, err := t.Float32s()
	if err != nil {
		return 0, g.errf(n, "input %q: %v", name, err)
	}
	return v[0], nil
}

// bitsArray emits a layer's signs as one bit stream, row after row without
// padding: element j of row r is bit e%8 of byte e/8, e = r·cols + j, least
// significant first, 1 for +1.
func (g *cgen) bitsArray(n *ir.Node, l *binLayer) string {
	signs := make([]float32, 0, l.rows*l.cols)
	for r := range l.rows {
		for j := range l.cols {
			signs = append(signs, l.sign(r, j))
		}
	}
	b := packBytes(signs)
	name := g.sym("bits")
	fmt.Fprintf(&g.data, "/* packed signs of %s: %d rows of %d bits */\nstatic const unsigned char %s[%d] = {",
		commentText(strconv.Quote(n.Name)), l.rows, l.cols, name, len(b))
	for i, x := range b {
		if i%16 == 0 {
			g.data.WriteString("\n    ")
		} else {
			g.data.WriteByte(' ')
		}
		fmt.Fprintf(&g.data, "0x%02x,", x)
	}
	g.data.WriteString("\n};\n")
	g.flash += int64(len(b))
	return name
}

func sqrt(x float64) float64 { return math.Sqrt(x) }
