package kernels

// kernelGo is the portable microkernel, and the definition every assembly
// microkernel implements for its fixed mr×nr:
//
//	for r < mr, j < nr:
//		s := 0
//		for p < kc: s += a[p·mr+r]·b[p·ldb+j]   (one fused multiply-add per step in asm)
//		C[r·ldc+j] = (acc ? C[r·ldc+j] : 0) + s
func kernelGo(mr, nr, kc int, a, b []float32, ldb int, c []float32, ldc int, acc bool) {
	var sum [maxMR * maxNR]float32
	s := sum[:mr*nr]
	for p := range kc {
		ap := a[p*mr : p*mr+mr]
		bp := b[p*ldb : p*ldb+nr]
		for r, av := range ap {
			row := s[r*nr : r*nr+nr]
			for j, bv := range bp {
				row[j] += av * bv
			}
		}
	}
	storeTile(s, mr, nr, c, ldc, acc)
}

// kernelIndirectGo is the portable indirect microkernel, and the
// definition of the assembly ones: kernelGo with B row p at b[offs[p]:].
//
//	for r < mr, j < nr:
//		s := 0
//		for p < kc: s += a[p·mr+r]·b[offs[p]+j]
//		C[r·ldc+j] = (acc ? C[r·ldc+j] : 0) + s
func kernelIndirectGo(mr, nr, kc int, a, b []float32, offs []int, c []float32, ldc int, acc bool) {
	var sum [maxMR * maxNR]float32
	s := sum[:mr*nr]
	for p, off := range offs[:kc] {
		ap := a[p*mr : p*mr+mr]
		bp := b[off : off+nr]
		for r, av := range ap {
			row := s[r*nr : r*nr+nr]
			for j, bv := range bp {
				row[j] += av * bv
			}
		}
	}
	storeTile(s, mr, nr, c, ldc, acc)
}

// storeTile writes (acc: adds) an mr×nr tile s into C.
func storeTile(s []float32, mr, nr int, c []float32, ldc int, acc bool) {
	for r := range mr {
		dst := c[r*ldc : r*ldc+nr]
		src := s[r*nr : r*nr+nr]
		if acc {
			for j, v := range src {
				dst[j] += v
			}
		} else {
			copy(dst, src)
		}
	}
}

// The largest tile any microkernel uses.
const (
	maxMR = 8
	maxNR = 48
)

// goKernel is the portable microkernel as a register tile of 4×16.
var goKernel = microKernel{mr: 4, nr: 16, name: "go4x16",
	fn: func(kc int, a, b []float32, ldb int, c []float32, ldc int, acc bool) {
		kernelGo(4, 16, kc, a, b, ldb, c, ldc, acc)
	},
	ind: func(kc int, a, b []float32, offs []int, c []float32, ldc int, acc bool) {
		kernelIndirectGo(4, 16, kc, a, b, offs, c, ldc, acc)
	}}
