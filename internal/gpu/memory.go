package gpu

import (
	"fmt"
	"unsafe"
)

// Alloc returns a device buffer of at least n bytes from the pool (plain
// cuMemAlloc memory, never managed memory).
func (d *Device) Alloc(n uint64) (Buffer, error) {
	defer d.enter()()
	return d.pool.Get(n)
}

// Free returns a buffer to the pool for reuse.
func (d *Device) Free(b Buffer) error {
	defer d.enter()()
	return d.pool.Put(b)
}

// PoolStats returns the pool's counters (Peak is the peak device memory the
// backend's buffers took).
func (d *Device) PoolStats() PoolStats {
	defer d.enter()()
	return d.pool.Stats()
}

// ResetPeak starts a new peak memory measurement.
func (d *Device) ResetPeak() {
	defer d.enter()()
	d.pool.ResetPeak()
}

// Upload copies a host slice (float32, uint64, uint8 or int32) to b.
func (d *Device) Upload(b Buffer, src any) error {
	p, n, err := hostBytes(src)
	if err != nil || n == 0 {
		return err
	}
	if n > b.Size {
		return fmt.Errorf("gpu: upload of %d bytes into a buffer of %d", n, b.Size)
	}
	defer d.enter()()
	return d.drv.cuError("cuMemcpyHtoD", d.drv.cuMemcpyHtoD(b.Ptr, p, n))
}

// Download waits for the stream and copies b into a host slice.
func (d *Device) Download(dst any, b Buffer) error {
	p, n, err := hostBytes(dst)
	if err != nil || n == 0 {
		return err
	}
	if n > b.Size {
		return fmt.Errorf("gpu: download of %d bytes from a buffer of %d", n, b.Size)
	}
	defer d.enter()()
	if err := d.drv.cuError("cuStreamSynchronize", d.drv.cuStreamSynchronize(d.stream)); err != nil {
		return err
	}
	return d.drv.cuError("cuMemcpyDtoH", d.drv.cuMemcpyDtoH(p, b.Ptr, n))
}

// CopyDev copies n bytes from src to dst, in stream order.
func (d *Device) CopyDev(dst, src Buffer, n uint64) error {
	if n == 0 {
		return nil
	}
	if n > dst.Size || n > src.Size {
		return fmt.Errorf("gpu: copy of %d bytes between buffers of %d and %d", n, src.Size, dst.Size)
	}
	defer d.enter()()
	return d.drv.cuError("cuMemcpyDtoD", d.drv.cuMemcpyDtoD(dst.Ptr, src.Ptr, n))
}

// Zero sets the first n bytes of b to zero.
func (d *Device) Zero(b Buffer, n uint64) error {
	if n == 0 {
		return nil
	}
	defer d.enter()()
	return d.drv.cuError("cuMemsetD8", d.drv.cuMemsetD8(b.Ptr, 0, n))
}

// hostBytes is the address and byte length of a supported host slice.
func hostBytes(s any) (unsafe.Pointer, uint64, error) {
	switch v := s.(type) {
	case []float32:
		return sliceBytes(v, 4)
	case []uint64:
		return sliceBytes(v, 8)
	case []float64:
		return sliceBytes(v, 8)
	case []int32:
		return sliceBytes(v, 4)
	case []uint8:
		return sliceBytes(v, 1)
	}
	return nil, 0, fmt.Errorf("gpu: cannot copy a %T", s)
}

func sliceBytes[T any](v []T, size uint64) (unsafe.Pointer, uint64, error) {
	if len(v) == 0 {
		return nil, 0, nil
	}
	return unsafe.Pointer(&v[0]), uint64(len(v)) * size, nil
}

// Sgemm is the row-major C = alpha·op(A)·op(B) + beta·C on device buffers.
// cuBLAS is column-major; a row-major matrix is its transpose in column
// order, so C' = op(B)'·op(A)' is computed with the operands swapped:
// cublasSgemm(opB, opA, n, m, k, B, ldb, A, lda, C, ldc).
func (d *Device) Sgemm(transA, transB bool, m, n, k int, alpha float32, a Buffer, lda int, b Buffer, ldb int, beta float32, c Buffer, ldc int) error {
	if m == 0 || n == 0 {
		return nil
	}
	defer d.enter()()
	return d.timed("sgemm", func() error { return d.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) })
}

func (d *Device) sgemm(transA, transB bool, m, n, k int, alpha float32, a Buffer, lda int, b Buffer, ldb int, beta float32, c Buffer, ldc int) error {
	op := func(t bool) int32 {
		if t {
			return blasOpT
		}
		return blasOpN
	}
	st := d.blas.cublasSgemm(d.handle, op(transB), op(transA), int32(n), int32(m), int32(k), &alpha,
		b.Ptr, int32(ldb), a.Ptr, int32(lda), &beta, c.Ptr, int32(ldc))
	if st != 0 {
		return fmt.Errorf("gpu: cublasSgemm m=%d n=%d k=%d: cublasStatus %d", m, n, k, st)
	}
	return nil
}

// ReleaseCache returns the pool's cached blocks to the device (blocks in
// use stay), so that the next peak measurement starts from live memory.
func (d *Device) ReleaseCache() {
	defer d.enter()()
	d.pool.Release()
}
