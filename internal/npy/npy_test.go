package npy

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

type fixture struct {
	Shape []int
	DType string
	Data  []json.Number
}

// loadExpected reads expected.json, written by numpy in testdata/gen.py.
func loadExpected(t *testing.T) map[string]fixture {
	t.Helper()
	b, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]fixture
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	if len(m) < 8 {
		t.Fatalf("expected.json has only %d cases", len(m))
	}
	return m
}

// want converts numpy's tolist() values to the Go slice type of dtype.
func want(t *testing.T, f fixture) any {
	t.Helper()
	n := len(f.Data)
	fl := func(i int) float64 { v, err := f.Data[i].Float64(); must(t, err); return v }
	in := func(i int) int64 { v, err := strconv.ParseInt(string(f.Data[i]), 10, 64); must(t, err); return v }
	switch f.DType {
	case "float32":
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(fl(i))
		}
		return s
	case "float64":
		s := make([]float64, n)
		for i := range s {
			s[i] = fl(i)
		}
		return s
	case "int64":
		s := make([]int64, n)
		for i := range s {
			s[i] = in(i)
		}
		return s
	case "int32":
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(in(i))
		}
		return s
	case "uint8":
		s := make([]uint8, n)
		for i := range s {
			s[i] = uint8(in(i))
		}
		return s
	case "int16":
		return convertEach(n, func(i int) int16 { return int16(in(i)) })
	case "int8":
		return convertEach(n, func(i int) int8 { return int8(in(i)) })
	case "uint64":
		return convertEach(n, func(i int) uint64 { v, err := strconv.ParseUint(string(f.Data[i]), 10, 64); must(t, err); return v })
	case "uint32":
		return convertEach(n, func(i int) uint32 { return uint32(in(i)) })
	case "uint16":
		return convertEach(n, func(i int) uint16 { return uint16(in(i)) })
	}
	t.Fatalf("unknown dtype %s", f.DType)
	return nil
}

func convertEach[T any](n int, at func(int) T) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = at(i)
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestReadNumpyFiles(t *testing.T) {
	for name, f := range loadExpected(t) {
		t.Run(name, func(t *testing.T) {
			a, err := ReadFile(filepath.Join("testdata", name+".npy"))
			must(t, err)
			if !reflect.DeepEqual(a.Shape, f.Shape) || a.DType != f.DType {
				t.Fatalf("got shape %v dtype %s, want %v %s", a.Shape, a.DType, f.Shape, f.DType)
			}
			if w := want(t, f); !reflect.DeepEqual(a.Data, w) {
				t.Fatalf("data %v, want %v", a.Data, w)
			}
			if a.Len() != len(f.Data) {
				t.Fatalf("Len %d, numpy has %d elements", a.Len(), len(f.Data))
			}
		})
	}
}

// TestWriteMatchesNumpy checks that writing what we read reproduces
// numpy.save's bytes exactly (version 1.0 files).
func TestWriteMatchesNumpy(t *testing.T) {
	for name := range loadExpected(t) {
		if strings.Contains(name, "_v") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			orig, err := os.ReadFile(filepath.Join("testdata", name+".npy"))
			must(t, err)
			a, err := Read(bytes.NewReader(orig))
			must(t, err)
			var buf bytes.Buffer
			must(t, Write(&buf, a))
			if !bytes.Equal(buf.Bytes(), orig) {
				t.Fatalf("bytes differ from numpy's:\n got %q\nwant %q", buf.Bytes()[:min(buf.Len(), 160)], orig[:min(len(orig), 160)])
			}
		})
	}
}

func TestUnsupportedNumpyFiles(t *testing.T) {
	for _, name := range []string{"complex"} {
		path := filepath.Join("testdata", name+".npy")
		_, err := ReadFile(path)
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: got %v, want ErrUnsupported naming the file", name, err)
		}
	}
}

// TestFortranOrder: an array numpy saved in Fortran order reads as
// numpy.load gives it, in C order, whole (Read, ReadFile) or its first rows
// (ReadPrefix, which reads each column's first entries).
func TestFortranOrder(t *testing.T) {
	a, err := ReadFile("testdata/fortran.npy") // np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))
	must(t, err)
	if !reflect.DeepEqual(a.Shape, []int{2, 3}) || !reflect.DeepEqual(a.Data, []float32{0, 1, 2, 3, 4, 5}) {
		t.Fatalf("fortran.npy: %v %v, numpy gives [2 3] [0 1 2 3 4 5]", a.Shape, a.Data)
	}
	// [4,2,3] uint16 with element (i,j,k) = 100i+10j+k, stored with i
	// varying fastest, then j, then k.
	var raw []byte
	for k := range 3 {
		for j := range 2 {
			for i := range 4 {
				raw = binary.LittleEndian.AppendUint16(raw, uint16(100*i+10*j+k))
			}
		}
	}
	b := build("{'descr': '<u2', 'fortran_order': True, 'shape': (4, 2, 3), }\n", 0)
	b = append(b, raw...)
	c := make([]uint16, 0, 24)
	for i := range 4 {
		for j := range 2 {
			for k := range 3 {
				c = append(c, uint16(100*i+10*j+k))
			}
		}
	}
	a, err = Read(bytes.NewReader(b))
	must(t, err)
	if !reflect.DeepEqual(a.Shape, []int{4, 2, 3}) || !reflect.DeepEqual(a.Data, c) {
		t.Fatalf("Read: %v %v, want %v", a.Shape, a.Data, c)
	}
	path := filepath.Join(t.TempDir(), "f.npy")
	must(t, os.WriteFile(path, b, 0o644))
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	a, declared, err := ReadPrefix(f, 2)
	must(t, err)
	if !reflect.DeepEqual(declared, []int{4, 2, 3}) || !reflect.DeepEqual(a.Shape, []int{2, 2, 3}) || !reflect.DeepEqual(a.Data, c[:12]) {
		t.Fatalf("ReadPrefix(2): %v %v (declared %v), want [2 2 3] %v", a.Shape, a.Data, declared, c[:12])
	}
}

// TestBigEndian: big-endian arrays read as numpy.load gives them.
func TestBigEndian(t *testing.T) {
	a, err := ReadFile("testdata/bigendian.npy") // np.arange(3, dtype=">f4")
	must(t, err)
	if !reflect.DeepEqual(a.Data, []float32{0, 1, 2}) {
		t.Fatalf("bigendian.npy: %v, numpy gives [0 1 2]", a.Data)
	}
	for _, c := range []struct {
		descr string
		raw   string
		want  any
	}{
		{"'>i2'", "\xff\xfe\x01\x02", []int16{-2, 0x0102}},
		{"'>u8'", "\x01\x02\x03\x04\x05\x06\x07\x08", []uint64{0x0102030405060708}},
		{"'>f8'", "\x3f\xf0\x00\x00\x00\x00\x00\x00", []float64{1}},
		{"'>u1'", "\x07", []uint8{7}},
	} {
		n := reflect.ValueOf(c.want).Len()
		b := build(fmt.Sprintf("{'descr': %s, 'fortran_order': False, 'shape': (%d,), }\n", c.descr, n), 0)
		a, err := Read(bytes.NewReader(append(b, c.raw...)))
		if err != nil || !reflect.DeepEqual(a.Data, c.want) {
			t.Errorf("%s: %v %v, want %v", c.descr, a, err, c.want)
		}
	}
	// Both at once: [2,2] '>u2' in Fortran order.
	b := build("{'descr': '>u2', 'fortran_order': True, 'shape': (2, 2), }\n", 0)
	a, err = Read(bytes.NewReader(append(b, "\x00\x01\x00\x03\x00\x02\x01\x04"...)))
	if err != nil || !reflect.DeepEqual(a.Data, []uint16{1, 2, 3, 0x104}) {
		t.Errorf("Fortran-order >u2: %v %v, want [1 2 3 260]", a, err)
	}
}

// TestFloat16: half-precision data reads as float32 holding the same
// values, the bits numpy's astype("float32") gives (the want values),
// subnormals, signed zero and infinities included.
func TestFloat16(t *testing.T) {
	halves := []uint16{0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x8000, 0x7c00, 0xfc00, 0x3555, 0x0400, 0x7e00}
	want := []uint32{0x3f800000, 0xc0000000, 0x477fe000, 0x33800000, 0x387fc000, 0x80000000, 0x7f800000, 0xff800000, 0x3eaaa000, 0x38800000, 0x7fc00000}
	b := build(fmt.Sprintf("{'descr': '<f2', 'fortran_order': False, 'shape': (%d,), }\n", len(halves)), 0)
	for _, h := range halves {
		b = binary.LittleEndian.AppendUint16(b, h)
	}
	a, err := Read(bytes.NewReader(b))
	must(t, err)
	got, ok := a.Data.([]float32)
	if !ok || a.DType != "float32" || len(got) != len(want) {
		t.Fatalf("float16: %s %T, want float32", a.DType, a.Data)
	}
	for i, w := range want {
		if math.Float32bits(got[i]) != w {
			t.Errorf("half %#04x: %#08x, numpy gives %#08x", halves[i], math.Float32bits(got[i]), w)
		}
	}
}

// TestPython2Shape: a header written by numpy under Python 2, whose
// dimensions are longs, "(2L, 3L)", reads as numpy.load reads it.
func TestPython2Shape(t *testing.T) {
	b := build("{'descr': '|u1', 'fortran_order': False, 'shape': (2L, 3L), }\n", 6)
	a, err := Read(bytes.NewReader(b))
	if err != nil || !reflect.DeepEqual(a.Shape, []int{2, 3}) {
		t.Fatalf("(2L, 3L): %v %v", a, err)
	}
}

// TestUnsupportedDTypeNamed: dtypes numpy writes that are not read are
// named by what they hold, an object array (np.save of a ragged list of
// images) as pickled objects.
func TestUnsupportedDTypeNamed(t *testing.T) {
	for descr, want := range map[string]string{"|O": "an object array, pickled Python objects", "|b1": "booleans", "<U3": "strings", "<c8": "complex numbers"} {
		b := build("{'descr': '"+descr+"', 'fortran_order': False, 'shape': (1,), }\n", 16)
		if _, err := Read(bytes.NewReader(b)); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), fmt.Sprintf("dtype %q: %s", descr, want)) {
			t.Errorf("%s: %v, want it to say %q", descr, err, want)
		}
	}
}

// TestTooManyDimensions: a shape of more dimensions than numpy allows (64)
// is refused from the header: a Fortran-order file whose header names
// 300,000 dimensions of 1 took items × dimensions to reorder, minutes for
// 100,000 bytes of data.
func TestTooManyDimensions(t *testing.T) {
	for _, c := range []struct {
		dims int
		ok   bool
	}{{64, true}, {65, false}, {300000, false}} {
		h := "{'descr': '|u1', 'fortran_order': True, 'shape': (1000, " + strings.Repeat("1, ", c.dims-1) + "), }\n"
		b := []byte(magic + "\x02\x00")
		b = binary.LittleEndian.AppendUint32(b, uint32(len(h)))
		b = append(append(b, h...), make([]byte, 1000)...)
		done := make(chan error, 1)
		go func() { _, err := Read(bytes.NewReader(b)); done <- err }()
		select {
		case err := <-done:
			if (err == nil) != c.ok || (!c.ok && !errors.Is(err, ErrFormat)) {
				t.Errorf("%d dimensions: %v", c.dims, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d dimensions: Read still running after 10s", c.dims)
		}
	}
}

// build makes a version 1.0 file with the given header text and data bytes.
func build(header string, data int) []byte {
	b := []byte(magic + "\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, data)...)
}

func TestBadInput(t *testing.T) {
	good := "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n"
	cases := map[string][]byte{
		"empty":         {},
		"bad magic":     []byte("\x93NUMPX\x01\x00"),
		"short header":  build(good, 24)[:20],
		"truncated":     build(good, 23),
		"no dict":       build("'descr'\n", 0),
		"missing key":   build("{'descr': '<f4', 'shape': (2,), }", 8),
		"extra key":     build("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': True}", 8),
		"dup key":       build("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 8),
		"int not tuple": build("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", 8),
		"negative dim":  build("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", 8),
		"wrong types":   build("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", 8),
		"trailing text": build("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", 8),
		"unterminated":  build("{'descr: '<f4', 'fortran_order': False, 'shape': (2,)}", 8),
		"overflow":      build("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4),}", 8),
		"huge dim":      build("{'descr': '<f8', 'fortran_order': False, 'shape': (10000000000000000000,),}", 8),
	}
	for name, b := range cases {
		if _, err := Read(bytes.NewReader(b)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: got %v, want ErrFormat", name, err)
		}
	}
	v4 := []byte(magic + "\x04\x00\x00\x00")
	// A structured dtype, as numpy.save writes np.zeros(4, "f4,i4"): valid,
	// and refused as such, not as a malformed header.
	st := build("{'descr': [('f0', '<f4'), ('f1', '<i4', (2,))], 'fortran_order': False, 'shape': (4,), }\n", 48)
	if _, err := Read(bytes.NewReader(st)); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "structured dtype [('f0', '<f4'), ('f1', '<i4', (2,))]") {
		t.Errorf("structured dtype: got %v, want ErrUnsupported naming it", err)
	}
	for name, h := range map[string]string{"unterminated list": "{'descr': [('a', '<f4'), 'fortran_order': False, 'shape': (4,)}", "unterminated string in list": "{'descr': [('a}"} {
		if _, err := Read(bytes.NewReader(build(h, 16))); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: got %v, want ErrFormat", name, err)
		}
	}
	if _, err := Read(bytes.NewReader(v4)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("version 4.0: got %v, want ErrUnsupported", err)
	}
}

// TestLyingHeader checks that a header claiming terabytes does not make
// Read or ReadFile allocate them.
func TestLyingHeader(t *testing.T) {
	b := build("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100), }", 64)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Read(bytes.NewReader(b))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("got %v, want a truncation error", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Fatalf("Read allocated %d bytes for a 64-byte payload", d)
	}
	path := filepath.Join(t.TempDir(), "lie.npy")
	must(t, os.WriteFile(path, b, 0o644))
	if _, err := ReadFile(path); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), path) {
		t.Fatalf("ReadFile: got %v, want ErrFormat naming the file", err)
	}
}

func TestReadFileTrailingBytes(t *testing.T) {
	orig, err := os.ReadFile("testdata/f4_2x3.npy")
	must(t, err)
	path := filepath.Join(t.TempDir(), "x.npy")
	must(t, os.WriteFile(path, append(orig, 0), 0o644))
	if _, err := ReadFile(path); !errors.Is(err, ErrFormat) {
		t.Fatalf("got %v, want ErrFormat", err)
	}
}

// TestReadStream checks that Read consumes exactly one array, so arrays
// saved one after another to one file read back in sequence.
func TestReadStream(t *testing.T) {
	var buf bytes.Buffer
	must(t, WriteFloat32(&buf, []int{2}, []float32{1, 2}))
	must(t, WriteInt64(&buf, []int{3}, []int64{4, 5, 6}))
	a, err := Read(&buf)
	must(t, err)
	b, err := Read(&buf)
	must(t, err)
	if !reflect.DeepEqual(a.Data, []float32{1, 2}) || !reflect.DeepEqual(b.Data, []int64{4, 5, 6}) || buf.Len() != 0 {
		t.Fatalf("got %v and %v with %d bytes left", a.Data, b.Data, buf.Len())
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.npy")
	data := []float32{1, float32(math.Inf(-1)), float32(math.NaN()), -0}
	must(t, WriteFile(path, &Array{Shape: []int{2, 2}, DType: "float32", Data: data}))
	a, err := ReadFile(path)
	must(t, err)
	got := a.Data.([]float32)
	for i := range data {
		if math.Float32bits(got[i]) != math.Float32bits(data[i]) {
			t.Fatalf("element %d: got %v want %v", i, got[i], data[i])
		}
	}
	bad := &Array{Shape: []int{3}, DType: "float32", Data: data}
	if err := WriteFile(filepath.Join(dir, "bad.npy"), bad); err == nil {
		t.Fatal("shape/data mismatch accepted")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("folder holds %d entries after a failed write, want 1", len(ents))
	}
}

func TestWriteRejects(t *testing.T) {
	cases := map[string]*Array{
		"dtype mismatch": {Shape: []int{1}, DType: "int64", Data: []float32{1}},
		"negative dim":   {Shape: []int{-1}, DType: "float32", Data: []float32{}},
		"unknown type":   {Shape: []int{1}, DType: "complex64", Data: []complex64{1}},
		"count":          {Shape: []int{2, 2}, DType: "uint8", Data: []uint8{1, 2, 3}},
	}
	for name, a := range cases {
		if err := Write(&bytes.Buffer{}, a); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
