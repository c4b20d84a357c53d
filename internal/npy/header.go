package npy

import (
	"encoding/binary"
	"io"
	"math"
	"strconv"
	"strings"
)

const (
	magic         = "\x93NUMPY"
	maxHeaderLen  = 1 << 20 // far above anything numpy writes for these dtypes
	maxDigits     = 18      // keeps a single dimension below 1e18
	maxDims       = 64      // numpy's NPY_MAXDIMS (32 before numpy 2)
	arrayAlign    = 64      // numpy.lib.format.ARRAY_ALIGN
	growthDigits  = 21      // numpy.lib.format.GROWTH_AXIS_MAX_DIGITS
	prefixLenV1   = len(magic) + 2 + 2
	prefixLenV2V3 = len(magic) + 2 + 4
)

// header is a parsed .npy header.
type header struct {
	shape      []int
	dtype      string
	itemSize   int
	dataOffset int64 // where the data starts
	dataBytes  int64 // bytes the shape and dtype need
	fortran    bool  // data in column-major order
	bigEndian  bool  // items stored most significant byte first
}

// readHeader reads the magic, version, header length and header dict.
func readHeader(r io.Reader) (*header, error) {
	var pre [len(magic) + 2]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, formatErr(0, "reading magic: %v", err)
	}
	if string(pre[:len(magic)]) != magic {
		return nil, formatErr(0, "bad magic %q", pre[:len(magic)])
	}
	major, minor := pre[6], pre[7]
	if minor != 0 || major < 1 || major > 3 {
		return nil, unsupportedErr(6, "format version %d.%d", major, minor)
	}
	lenSize := 4
	if major == 1 {
		lenSize = 2
	}
	var lb [4]byte
	if _, err := io.ReadFull(r, lb[:lenSize]); err != nil {
		return nil, formatErr(8, "reading header length: %v", err)
	}
	hlen := int64(binary.LittleEndian.Uint32(lb[:]))
	if hlen > maxHeaderLen {
		return nil, formatErr(8, "header length %d exceeds %d", hlen, maxHeaderLen)
	}
	start := int64(8 + lenSize)
	text := make([]byte, hlen)
	if _, err := io.ReadFull(r, text); err != nil {
		return nil, formatErr(start, "header of %d bytes: %v", hlen, err)
	}
	h, err := parseHeader(string(text), start)
	if err != nil {
		return nil, err
	}
	h.dataOffset = start + hlen
	return h, nil
}

// parseHeader parses the dict literal and computes the data size.
func parseHeader(text string, base int64) (*header, error) {
	p := &parser{s: text, base: base}
	fields, err := p.dict()
	if err != nil {
		return nil, err
	}
	if sd, ok := fields["descr"].(structured); ok {
		return nil, unsupportedErr(base, "structured dtype %s (a record array): save each field as an array of its own", sd)
	}
	descr, ok1 := fields["descr"].(string)
	fortran, ok2 := fields["fortran_order"].(bool)
	shape, ok3 := fields["shape"].([]int)
	if !ok1 || !ok2 || !ok3 || len(fields) != 3 {
		return nil, formatErr(base, "header needs exactly 'descr' (str), 'fortran_order' (bool) and 'shape' (tuple), got %s", strings.TrimSpace(text))
	}
	// '>' is big-endian (numpy writes it for '>f4' arrays: FITS data, raw
	// big-endian buffers); decode swaps such items.
	key, big := descr, strings.HasPrefix(descr, ">")
	if big {
		key = "<" + descr[1:]
	}
	dt, ok := dtypes[key]
	if !ok {
		what := map[byte]string{'O': "an object array, pickled Python objects (a ragged list of images?), ", 'b': "booleans, ", 'U': "strings, ",
			'S': "bytes, ", 'c': "complex numbers, ", 'M': "datetimes, ", 'm': "timedeltas, ", 'V': "raw bytes, "}[kind(descr)]
		return nil, unsupportedErr(base, "dtype %q: %snot read (want <f4, <f8, <f2 or an integer type: <i8, <i4, <i2, |i1, <u8, <u4, <u2, |u1; little- or big-endian)", descr, what)
	}
	if len(shape) > maxDims {
		// No numpy array has more; and a Fortran-order reorder of a 1 MB
		// header's 300,000 dimensions of 1 took time items × dimensions.
		return nil, formatErr(base, "shape of %d dimensions (numpy allows at most %d)", len(shape), maxDims)
	}
	n, ok := elementCount(shape, dt.size)
	if !ok {
		return nil, formatErr(base, "shape %v is too large", shape)
	}
	return &header{shape: shape, dtype: dt.name, itemSize: dt.size, dataBytes: n * int64(dt.size), fortran: fortran, bigEndian: big}, nil
}

// kind is a descr's type character: 'O' of "|O", 'f' of "<f4".
func kind(descr string) byte {
	if len(descr) > 1 && strings.ContainsRune("<>|=", rune(descr[0])) {
		return descr[1]
	}
	if descr != "" {
		return descr[0]
	}
	return 0
}

// elementCount multiplies the dimensions, failing on overflow of the byte
// count.
func elementCount(shape []int, itemSize int) (int64, bool) {
	limit := int64(math.MaxInt64) / int64(itemSize)
	n := int64(1)
	for _, d := range shape {
		if d == 0 {
			return 0, true
		}
		if n > limit/int64(d) {
			return 0, false
		}
		n *= int64(d)
	}
	return n, true
}

// parser reads the subset of Python literals numpy writes in headers:
// a dict of str keys to str, bool or tuple-of-int values.
type parser struct {
	s    string
	i    int
	base int64
}

func (p *parser) errf(format string, args ...any) error {
	return formatErr(p.base+int64(p.i), "header: "+format, args...)
}

func (p *parser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// eat skips blanks and consumes c if it is next.
func (p *parser) eat(c byte) bool {
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) dict() (map[string]any, error) {
	if !p.eat('{') {
		return nil, p.errf("want '{'")
	}
	fields := map[string]any{}
	for !p.eat('}') {
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if _, dup := fields[key]; dup {
			return nil, p.errf("duplicate key %q", key)
		}
		if !p.eat(':') {
			return nil, p.errf("want ':' after key %q", key)
		}
		if fields[key], err = p.value(); err != nil {
			return nil, err
		}
		if !p.eat(',') && !p.peek('}') {
			return nil, p.errf("want ',' or '}'")
		}
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, p.errf("unexpected %q after the dict", p.s[p.i:min(len(p.s), p.i+16)])
	}
	return fields, nil
}

func (p *parser) peek(c byte) bool {
	p.ws()
	return p.i < len(p.s) && p.s[p.i] == c
}

func (p *parser) value() (any, error) {
	p.ws()
	switch {
	case p.peek('\'') || p.peek('"'):
		return p.str()
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	case p.peek('('):
		return p.tuple()
	case p.peek('['):
		return p.list()
	}
	return nil, p.errf("unsupported value")
}

// structured is the descr of a structured dtype, a list of fields such as
// [('x', '<f4', (3,)), ('y', '<i8')]: valid, not supported, and named so
// in the error rather than as a malformed header.
type structured string

// list skips a list literal, brackets, parentheses and quoted strings
// balanced, and returns its text.
func (p *parser) list() (structured, error) {
	start, depth := p.i, 0
	for p.i < len(p.s) {
		switch c := p.s[p.i]; c {
		case '\'', '"':
			end := strings.IndexByte(p.s[p.i+1:], c)
			if end < 0 {
				return "", p.errf("unterminated string")
			}
			p.i += end + 1
		case '[', '(':
			depth++
		case ']', ')':
			depth--
		}
		p.i++
		if depth == 0 {
			v := p.s[start:p.i]
			if len(v) > 80 {
				v = v[:77] + "..."
			}
			return structured(v), nil
		}
	}
	return "", p.errf("unterminated list")
}

// str reads a quoted string without escapes (numpy never writes any).
func (p *parser) str() (string, error) {
	p.ws()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", p.errf("want a quoted string")
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", p.errf("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsAny(v, "\\\n") {
		return "", p.errf("escape or newline in string %q", v)
	}
	p.i += end + 2
	return v, nil
}

// tuple reads "()", "(3,)", "(2, 3)" or "(2, 3,)"; "(3)" is an int in
// Python, not a tuple, and is rejected.
func (p *parser) tuple() ([]int, error) {
	p.eat('(')
	dims := []int{}
	for !p.eat(')') {
		d, err := p.int()
		if err != nil {
			return nil, err
		}
		dims = append(dims, d)
		if !p.eat(',') {
			if !p.peek(')') || len(dims) == 1 {
				return nil, p.errf("malformed shape tuple")
			}
		}
	}
	return dims, nil
}

func (p *parser) int() (int, error) {
	p.ws()
	j := p.i
	for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
		j++
	}
	if j == p.i || j-p.i > maxDigits {
		return 0, p.errf("want a dimension (a non-negative integer below 1e18)")
	}
	v, err := strconv.Atoi(p.s[p.i:j])
	if err != nil {
		return 0, p.errf("bad dimension %q", p.s[p.i:j])
	}
	p.i = j
	if p.i < len(p.s) && p.s[p.i] == 'L' {
		p.i++ // Python 2's long (numpy on Windows wrote (3L, 28L)); numpy.load reads it
	}
	return v, nil
}
