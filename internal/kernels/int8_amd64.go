//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// The int8 assembly kernels; each implements kernelInt8Go for its tile
// (see the comment at the top of its .s file). The caller guarantees that
// b holds offs[p]+nr words for every p < steps.
//
//go:noescape
func dotInt8Indirect8x48VNNI(steps int, a, b *uint32, offs *int, c *int32, ldc int, acc bool)

//go:noescape
func dotInt8Indirect8x32VNNI(steps int, a, b *uint32, offs *int, c *int32, ldc int, acc bool)

//go:noescape
func dotInt8Indirect4x16AVX2(steps int, a, b *uint32, offs *int, c *int32, ldc int, acc bool)

var (
	vnniKernel = int8Kernel{mr: 8, nr: 48, name: "vnni-8x48", narrow: &vnni32Kernel,
		fn: func(steps int, a, b []uint32, offs []int, c []int32, ldc int, acc bool) {
			_ = a[8*steps-1]
			_ = offs[steps-1]
			_ = c[7*ldc+47]
			dotInt8Indirect8x48VNNI(steps, &a[0], &b[0], &offs[0], &c[0], ldc, acc)
		}}
	vnni32Kernel = int8Kernel{mr: 8, nr: 32, name: "vnni-8x32",
		fn: func(steps int, a, b []uint32, offs []int, c []int32, ldc int, acc bool) {
			_ = a[8*steps-1]
			_ = offs[steps-1]
			_ = c[7*ldc+31]
			dotInt8Indirect8x32VNNI(steps, &a[0], &b[0], &offs[0], &c[0], ldc, acc)
		}}
	avx2Int8Kernel = int8Kernel{mr: 4, nr: 16, name: "avx2-int8-4x16",
		fn: func(steps int, a, b []uint32, offs []int, c []int32, ldc int, acc bool) {
			_ = a[4*steps-1]
			_ = offs[steps-1]
			_ = c[3*ldc+15]
			dotInt8Indirect4x16AVX2(steps, &a[0], &b[0], &offs[0], &c[0], ldc, acc)
		}}
)

var hasVNNI = hasAVX512 && cpu.X86.HasAVX512VNNI

// int8KernelFor is the fastest int8 kernel this CPU runs.
func int8KernelFor() *int8Kernel {
	switch {
	case useAVX512 && hasVNNI:
		return &vnniKernel
	case hasAVX2:
		return &avx2Int8Kernel
	}
	return &goInt8Kernel
}

// asmInt8Kernels lists the int8 assembly kernels this CPU can run, for tests.
func asmInt8Kernels() []*int8Kernel {
	var ks []*int8Kernel
	if hasVNNI {
		ks = append(ks, &vnniKernel, &vnni32Kernel)
	}
	if hasAVX2 {
		ks = append(ks, &avx2Int8Kernel)
	}
	return ks
}
