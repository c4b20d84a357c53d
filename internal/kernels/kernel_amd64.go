//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// The assembly microkernels; each implements kernelGo for its tile size
// (see the comment at the top of its .s file). b's rows are ldb floats apart.
//
//go:noescape
func sgemmKernel8x48AVX512(kc int, a, b *float32, ldb int, c *float32, ldc int, acc bool)

//go:noescape
func sgemmKernel4x24AVX2(kc int, a, b *float32, ldb int, c *float32, ldc int, acc bool)

//go:noescape
func sgemmIndirect8x48AVX512(kc int, a, b *float32, offs *int, c *float32, ldc int, acc bool)

//go:noescape
func sgemmIndirect8x32AVX512(kc int, a, b *float32, offs *int, c *float32, ldc int, acc bool)

//go:noescape
func sgemmIndirect4x24AVX2(kc int, a, b *float32, offs *int, c *float32, ldc int, acc bool)

var (
	avx512Kernel = microKernel{mr: 8, nr: 48, name: "avx512-8x48",
		fn: func(kc int, a, b []float32, ldb int, c []float32, ldc int, acc bool) {
			_ = a[8*kc-1]
			_ = b[(kc-1)*ldb+47]
			_ = c[7*ldc+47]
			sgemmKernel8x48AVX512(kc, &a[0], &b[0], ldb, &c[0], ldc, acc)
		},
		ind: func(kc int, a, b []float32, offs []int, c []float32, ldc int, acc bool) {
			_ = a[8*kc-1]
			_ = offs[kc-1]
			_ = c[7*ldc+47]
			sgemmIndirect8x48AVX512(kc, &a[0], &b[0], &offs[0], &c[0], ldc, acc)
		},
		edge: &avx512Edge}
	// avx512Edge is the indirect tile for a last column tile of at most 32
	// columns (its fn is unused: packed GEMMs pad their last tile).
	avx512Edge = microKernel{mr: 8, nr: 32, name: "avx512-8x32-indirect",
		ind: func(kc int, a, b []float32, offs []int, c []float32, ldc int, acc bool) {
			_ = a[8*kc-1]
			_ = offs[kc-1]
			_ = c[7*ldc+31]
			sgemmIndirect8x32AVX512(kc, &a[0], &b[0], &offs[0], &c[0], ldc, acc)
		}}
	avx2Kernel = microKernel{mr: 4, nr: 24, name: "avx2-4x24",
		fn: func(kc int, a, b []float32, ldb int, c []float32, ldc int, acc bool) {
			_ = a[4*kc-1]
			_ = b[(kc-1)*ldb+23]
			_ = c[3*ldc+23]
			sgemmKernel4x24AVX2(kc, &a[0], &b[0], ldb, &c[0], ldc, acc)
		},
		ind: func(kc int, a, b []float32, offs []int, c []float32, ldc int, acc bool) {
			_ = a[4*kc-1]
			_ = offs[kc-1]
			_ = c[3*ldc+23]
			sgemmIndirect4x24AVX2(kc, &a[0], &b[0], &offs[0], &c[0], ldc, acc)
		}}
)

var (
	hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
)

// useAVX512 selects the AVX-512 kernels and helpers where the CPU has them;
// tests clear it to run the AVX2 paths end to end on an AVX-512 machine.
var useAVX512 = hasAVX512

// gemmKernel is the fastest microkernel this CPU runs.
func gemmKernel() *microKernel {
	switch {
	case useAVX512:
		return &avx512Kernel
	case hasAVX2:
		return &avx2Kernel
	}
	return &goKernel
}

// asmKernels lists the assembly microkernels this CPU can run, for tests.
func asmKernels() []*microKernel {
	var ks []*microKernel
	if hasAVX512 {
		ks = append(ks, &avx512Kernel)
	}
	if hasAVX2 {
		ks = append(ks, &avx2Kernel)
	}
	return ks
}
