package onnx

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/bincompress/bincompress/internal/safefile"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx/internal/onnxpb"
)

// externalRef is a parsed TensorProto.external_data list.
type externalRef struct {
	location       string
	offset, length int64
	hasLength      bool
}

// MaxExternalBytes bounds the external data of one model, all tensors
// together, as MaxFileBytes bounds the file: without it, tensors naming one
// sparse file (or the same bytes many times) could make a model of a few
// kilobytes allocate without limit.
const MaxExternalBytes = MaxFileBytes

// externalBudget is MaxExternalBytes, smaller in tests.
var externalBudget int64 = MaxExternalBytes

// external reads the bytes of a tensor stored outside the model file. The
// file must lie inside the model's folder (d.dir) after resolving symlinks,
// and offset+length must lie within it; the length must match the dims
// before any buffer is allocated.
func (d *decoder) external(p *onnxpb.TensorProto, dt ir.DType, n int) ([]byte, error) {
	ref, err := parseExternal(p.ExternalData)
	if err != nil {
		return nil, err
	}
	if d.dir == "" {
		return nil, errorf(ErrExternal, "external data %q cannot be resolved from bytes alone (use ReadFile)", ref.location)
	}
	if dt.Size() == 0 {
		return nil, errorf(ErrData, "%v tensors cannot use external data", dt)
	}
	path, err := resolveInside(d.dir, ref.location)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(d.externalFiles, path) { // a file per tensor at most: hundreds
		d.externalFiles = append(d.externalFiles, path)
	}
	need := int64(n) * int64(dt.Size())
	if d.externalBytes+need > externalBudget {
		return nil, errorf(ErrExternal, "tensor %q would take the model's external data to %d bytes, past the ceiling of %d", p.GetName(), d.externalBytes+need, externalBudget)
	}
	d.externalBytes += need
	buf, err := readSection(path, ref, need)
	if err == nil && d.digest != nil {
		d.digest.Write(buf)
	}
	return buf, err
}

func parseExternal(entries []*onnxpb.StringStringEntryProto) (externalRef, error) {
	var ref externalRef
	for _, e := range entries {
		var err error
		switch e.GetKey() {
		case "location":
			ref.location = e.GetValue()
		case "offset":
			ref.offset, err = parseSize(e.GetValue())
		case "length":
			ref.length, err = parseSize(e.GetValue())
			ref.hasLength = true
		}
		if err != nil {
			return ref, errorf(ErrExternal, "external data %s %q is not a non-negative integer", e.GetKey(), e.GetValue())
		}
	}
	if ref.location == "" {
		return ref, errorf(ErrExternal, "external data without a location")
	}
	return ref, nil
}

func parseSize(s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err == nil && v < 0 {
		err = strconv.ErrRange
	}
	return v, err
}

// resolveInside joins a relative location to dir and checks that the file
// it names, after following symlinks, is still inside dir.
func resolveInside(dir, location string) (string, error) {
	if filepath.IsAbs(location) || strings.HasPrefix(location, "/") || strings.HasPrefix(location, `\`) {
		return "", errorf(ErrExternal, "external data location %q is an absolute path", location)
	}
	local := filepath.FromSlash(location)
	if !filepath.IsLocal(local) {
		return "", errorf(ErrExternal, "external data location %q leaves the model folder", location)
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", &FormatError{Reason: "cannot resolve model folder", Err: err}
	}
	real, err := filepath.EvalSymlinks(filepath.Join(dir, local))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", errorf(ErrExternal, "external data file %q not found in the model folder", location)
		}
		return "", &FormatError{Reason: "cannot resolve external data " + strconv.Quote(location), Err: err}
	}
	rel, err := filepath.Rel(realDir, real)
	if err != nil || !filepath.IsLocal(rel) {
		return "", errorf(ErrExternal, "external data location %q is a symlink that leads out of the model folder", location)
	}
	return real, nil
}

// readSection reads ref's byte range from path after checking it against
// the file's size and the size the tensor's dims need.
// The file is checked to be regular before it is opened, since opening a
// FIFO blocks until a writer comes, and again once open.
func readSection(path string, ref externalRef, need int64) ([]byte, error) {
	before, err := os.Stat(path)
	if err != nil {
		return nil, &FormatError{Reason: "cannot stat external data " + strconv.Quote(ref.location), Err: err}
	}
	if !before.Mode().IsRegular() {
		return nil, errorf(ErrExternal, "external data %q is %s, not a regular file", ref.location, safefile.Kind(before.Mode()))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &FormatError{Reason: "cannot open external data " + strconv.Quote(ref.location), Err: err}
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, &FormatError{Reason: "cannot stat external data " + strconv.Quote(ref.location), Err: err}
	}
	if !info.Mode().IsRegular() || !os.SameFile(before, info) {
		return nil, errorf(ErrExternal, "external data %q changed while it was opened", ref.location)
	}
	size := info.Size()
	if ref.offset > size {
		return nil, errorf(ErrExternal, "external data offset %d is past the end of %q (%d bytes)", ref.offset, ref.location, size)
	}
	length := size - ref.offset
	if ref.hasLength {
		if ref.length > length {
			return nil, errorf(ErrExternal, "external data offset %d + length %d is past the end of %q (%d bytes)", ref.offset, ref.length, ref.location, size)
		}
		length = ref.length
	}
	if length != need {
		return nil, errorf(ErrData, "external data holds %d bytes, dims need %d", length, need)
	}
	buf := make([]byte, length)
	if _, err := f.ReadAt(buf, ref.offset); err != nil && !(errors.Is(err, io.EOF) && length == 0) {
		return nil, &FormatError{Reason: "cannot read external data " + strconv.Quote(ref.location), Err: err}
	}
	return buf, nil
}
