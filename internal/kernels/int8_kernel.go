package kernels

// int8Kernel is a register-tile kernel of the u8×s8 product with 4-byte
// reduction steps: each uint32 of a holds 4 signed weight bytes, each
// uint32 of b holds 4 unsigned activation bytes (4 channels of one
// position), and B row p starts at b[offs[p]].
type int8Kernel struct {
	mr, nr int
	name   string
	fn     func(steps int, a, b []uint32, offs []int, c []int32, ldc int, acc bool)
	// narrow, when not nil, is a kernel with the same mr (so the same
	// packed weights) and fewer columns, for outputs that would leave much
	// of the last wide tile empty.
	narrow *int8Kernel
}

// forColumns is k, or its narrow twin when that computes a tenth fewer
// columns (a wide tile does more work per weight broadcast).
func (k *int8Kernel) forColumns(cols int) *int8Kernel {
	pad := func(nr int) int { return (cols + nr - 1) / nr * nr }
	if k.narrow != nil && 10*pad(k.narrow.nr) < 9*pad(k.nr) {
		return k.narrow
	}
	return k
}

// kernelInt8Go is the portable int8 kernel and the definition of the
// assembly ones:
//
//	for r < mr, j < nr:
//		s := 0
//		for p < steps, q < 4: s += int8(byte q of a[p·mr+r]) · uint8(byte q of b[offs[p]+j])
//		C[r·ldc+j] = (acc ? C[r·ldc+j] : 0) + s
func kernelInt8Go(mr, nr, steps int, a, b []uint32, offs []int, c []int32, ldc int, acc bool) {
	var sum [maxMR * maxNR]int32
	s := sum[:mr*nr]
	for p, off := range offs[:steps] {
		ap := a[p*mr : p*mr+mr]
		bp := b[off : off+nr]
		for r, wa := range ap {
			row := s[r*nr : r*nr+nr]
			for j, wb := range bp {
				row[j] += dot4(wa, wb)
			}
		}
	}
	for r := range mr {
		dst := c[r*ldc : r*ldc+nr]
		for j, v := range s[r*nr : r*nr+nr] {
			if acc {
				v += dst[j]
			}
			dst[j] = v
		}
	}
}

// dot4 is Σ_q int8(byte q of w) · uint8(byte q of u).
func dot4(w, u uint32) int32 {
	var s int32
	for q := 0; q < 32; q += 8 {
		s += int32(int8(w>>q)) * int32(uint8(u>>q))
	}
	return s
}

var goInt8Kernel = int8Kernel{mr: 4, nr: 16, name: "go-int8-4x16",
	fn: func(steps int, a, b []uint32, offs []int, c []int32, ldc int, acc bool) {
		kernelInt8Go(4, 16, steps, a, b, offs, c, ldc, acc)
	}}
