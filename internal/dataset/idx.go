package dataset

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
)

// fashionNames are Fashion-MNIST's class names, in label order.
var fashionNames = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// loadIDX reads an IDX image file ([N,H,W] bytes) and its label file ([N]
// bytes) into a Memory dataset: all N images, or the first limit > 0.
func loadIDX(imagesPath, labelsPath string, limit int) (*Memory, error) {
	idims, pix, err := readIDX(imagesPath, 3, limit)
	if err != nil {
		return nil, err
	}
	ldims, lab, err := readIDX(labelsPath, 1, limit)
	if err != nil {
		return nil, err
	}
	if idims[0] != ldims[0] {
		return nil, fmt.Errorf("%w: %s holds %d images, %s %d labels", ErrCount, imagesPath, idims[0], labelsPath, ldims[0])
	}
	m := &Memory{Name: imagesPath, LabelFile: labelsPath, Files: []string{imagesPath, labelsPath}, Format: "idx", Size: Shape{1, idims[1], idims[2]}, U8: pix, Labels: make([]int, len(lab))}
	for i, l := range lab {
		m.Labels[i] = int(l)
	}
	// The labels say how many classes there are: IDX files declare none,
	// and an IDX data set of 4 classes fits a 4-class model. Fashion-MNIST
	// is known to have its 10, named.
	m.Classes = maxLabel(m.Labels) + 1
	if m.Classes <= 10 && strings.Contains(strings.ToLower(imagesPath), "fashion") {
		m.Classes, m.ClassNames = 10, fashionNames
	}
	return m, m.Validate()
}

// readIDX reads an unsigned-byte IDX file, raw or gzip-compressed, with
// wantDims dimensions: its dimensions as the header declares them and the
// data of the first limit items (all when limit <= 0).
func readIDX(path string, wantDims, limit int) ([]int, []byte, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("dataset: %w", err)
	}
	return decodeIDX(f, st.Size(), path, wantDims, limit)
}

// decodeIDX reads IDX data of size bytes (raw or gzip) from r. The data
// must match the dimensions exactly; the bytes read never exceed what the
// input really holds, whatever the header claims, and gzip data may claim
// at most maxGzipRatio times size (ErrTooLarge). With 0 < limit < N only
// the first limit items are read, and nothing after them.
func decodeIDX(r io.Reader, size int64, path string, wantDims, limit int) ([]int, []byte, error) {
	br := bufio.NewReader(r)
	r = br
	compressed := false
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
		}
		r, compressed = zr, true
	}
	dims, n, err := readIDXHeader(r, path, wantDims)
	if err != nil {
		return nil, nil, err
	}
	hdr := int64(4 + 4*wantDims)
	if !compressed && size-hdr != n {
		return nil, nil, fmt.Errorf("%w: %s: dimensions %v need %d data bytes, file holds %d", ErrCorrupt, path, dims, n, size-hdr)
	}
	keep := n
	if limit > 0 && limit < dims[0] {
		keep = n / int64(dims[0]) * int64(limit)
	}
	if compressed && keep > max(preallocLimit, maxGzipRatio*size) {
		return nil, nil, fmt.Errorf("%w: %s: dimensions %v claim %d data bytes, %d times the %d bytes of the gzip file (at most %d times is read: real images compress 2 to 5 times; a limit on the images read lowers the claim)",
			ErrTooLarge, path, dims, keep, keep/max(size, 1), size, maxGzipRatio)
	}
	data, err := readAtMost(r, keep)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	if int64(len(data)) != keep {
		return nil, nil, fmt.Errorf("%w: %s: dimensions %v need %d data bytes, found %d", ErrCorrupt, path, dims, n, len(data))
	}
	if keep < n {
		return dims, data, nil
	}
	// Reading on to the end also makes gzip verify its checksum.
	var one [1]byte
	if k, err := io.ReadFull(r, one[:]); k > 0 {
		return nil, nil, fmt.Errorf("%w: %s: bytes after the %d data bytes of dimensions %v", ErrCorrupt, path, n, dims)
	} else if err != io.EOF {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	return dims, data, nil
}

// preallocLimit caps the buffer a header's claim alone may reserve; beyond
// it the buffer grows only as data arrives.
const preallocLimit = 64 << 20

// maxGzipRatio bounds, beyond preallocLimit, the data a gzipped IDX file's
// header may claim (the part read: with a limit, its first images) as a
// multiple of the file's size. A raw file must hold what its header claims;
// deflate inflates zeros about 1000 times, so without this a small .gz made
// the reader allocate up to maxIDXBytes. Image data compresses 2 to 5 times
// (Fashion-MNIST 1.8, MNIST 4.7).
const maxGzipRatio = 64

// readAtMost reads up to n bytes (fewer at EOF), reserving
// min(n, preallocLimit) up front.
func readAtMost(r io.Reader, n int64) ([]byte, error) {
	buf := make([]byte, 0, min(n, preallocLimit))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(n-int64(len(buf)), int64(cap(buf)))))
		}
		m, err := r.Read(buf[len(buf):int(min(int64(cap(buf)), n))])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			break
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// maxIDXBytes bounds the data size a header may claim (1 TiB).
const maxIDXBytes = 1 << 40

// readIDXHeader reads the magic (0, 0, type 0x08, ndims) and the big-endian
// dimensions, returning them and their product.
func readIDXHeader(r io.Reader, path string, wantDims int) ([]int, int64, error) {
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, 0, fmt.Errorf("%w: %s: reading magic: %v", ErrCorrupt, path, err)
	}
	if magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || int(magic[3]) != wantDims {
		return nil, 0, fmt.Errorf("%w: %s: magic % x, want 00 00 08 %02x (unsigned bytes, %d dimensions)",
			ErrCorrupt, path, magic, wantDims, wantDims)
	}
	raw := make([]byte, 4*wantDims)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, 0, fmt.Errorf("%w: %s: reading dimensions: %v", ErrCorrupt, path, err)
	}
	dims := make([]int, wantDims)
	n := int64(1)
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(raw[4*i:]))
		if dims[i] > 0 && n > maxIDXBytes/int64(dims[i]) {
			return nil, 0, fmt.Errorf("%w: %s: dimensions %v too large", ErrCorrupt, path, dims[:i+1])
		}
		n *= int64(dims[i])
	}
	return dims, n, nil
}
