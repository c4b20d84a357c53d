// Package datasettest builds hostile but valid data files for tests of
// resource limits: gigabytes of zeros that compress to megabytes, in gzip
// (IDX) and PNG form; Allocated measures what reading them costs. It is
// imported by tests only.
package datasettest

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"runtime"
)

// Allocated runs f and returns the bytes the process allocated meanwhile.
func Allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// IDX is an unsigned-byte IDX header for dims followed by data.
func IDX(dims []int, data []byte) []byte {
	b := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, data...)
}

// zeroDeflate is a deflate stream of n zero bytes, built by repeating the
// compressed form of one chunk (its back-references stay inside zeros), so
// that gigabytes compress in milliseconds.
func zeroDeflate(n int64) []byte {
	const chunk = 1 << 20
	enc := func(k int) []byte {
		var b bytes.Buffer
		w, _ := flate.NewWriter(&b, flate.BestCompression) // the level is valid
		w.Write(make([]byte, k))
		w.Flush() // byte-aligned, not final
		return b.Bytes()
	}
	one := enc(chunk)
	var out bytes.Buffer
	for ; n >= chunk; n -= chunk {
		out.Write(one)
	}
	if n > 0 {
		out.Write(enc(int(n)))
	}
	out.Write([]byte{0x03, 0x00}) // final empty block
	return out.Bytes()
}

// ZeroGzip is a valid gzip file of prefix followed by n zero bytes: 3
// million 28×28 IDX images (2.35 GB) take 2.3 MB.
func ZeroGzip(prefix []byte, n int64) []byte {
	var body bytes.Buffer
	w, _ := flate.NewWriter(&body, flate.NoCompression)
	w.Write(prefix)
	w.Flush()
	crc := crc32.ChecksumIEEE(prefix)
	zeros := make([]byte, 1<<20)
	for left := n; left > 0; left -= int64(len(zeros)) {
		crc = crc32.Update(crc, crc32.IEEETable, zeros[:min(left, int64(len(zeros)))])
	}
	out := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}
	out = append(append(out, body.Bytes()...), zeroDeflate(n)...)
	out = binary.LittleEndian.AppendUint32(out, crc)
	return binary.LittleEndian.AppendUint32(out, uint32(int64(len(prefix))+n))
}

// ZeroPNG is a valid w×h 8-bit grayscale PNG of black pixels: 16384×16384
// (268 megapixels) takes 259 KB.
func ZeroPNG(w, h int) []byte {
	chunk := func(out []byte, typ string, data []byte) []byte {
		out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
		start := len(out)
		out = append(append(out, typ...), data...)
		return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
	}
	raw := int64(h) * int64(w+1) // a filter byte per row, then the pixels: all zero
	idat := append([]byte{0x78, 0xda}, zeroDeflate(raw)...)
	idat = binary.BigEndian.AppendUint32(idat, uint32(raw%65521)<<16|1) // Adler-32 of zeros
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(w)), uint32(h))
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // 8-bit gray, deflate, adaptive filters, no interlace
	out := []byte("\x89PNG\r\n\x1a\n")
	out = chunk(out, "IHDR", ihdr)
	out = chunk(out, "IDAT", idat)
	return chunk(out, "IEND", nil)
}
