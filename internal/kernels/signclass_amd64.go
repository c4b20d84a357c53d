//go:build !purego

package kernels

// classSum4x48AVX512 implements classSumGo(48, ...); the caller
// guarantees that b holds o+48 elements for every listed offset o.
//
//go:noescape
func classSum4x48AVX512(counts, list *int32, b, c *float32, ldc int, acc bool)

// classSum4x32AVX512 is classSum4x48AVX512 with 32 columns.
//
//go:noescape
func classSum4x32AVX512(counts, list *int32, b, c *float32, ldc int, acc bool)

// classSum4x16AVX2 is the AVX2 tile: classSumGo(16, ...), the caller
// guaranteeing that b holds o+16 elements for every listed offset o.
//
//go:noescape
func classSum4x16AVX2(counts, list *int32, b, c *float32, ldc int, acc bool)

var (
	avx2ClassKernel     = asmClassKernel(16, "avx2-class-4x16", classSum4x16AVX2, nil)
	avx512ClassKernel   = asmClassKernel(48, "avx512-class-4x48", classSum4x48AVX512, &avx512ClassKernel32)
	avx512ClassKernel32 = asmClassKernel(32, "avx512-class-4x32", classSum4x32AVX512, nil)
)

// asmClassKernel wraps an assembly tile of nr columns: the bounds checks
// that make its unchecked loads and stores safe, then the call.
func asmClassKernel(nr int, name string, tile func(counts, list *int32, b, c *float32, ldc int, acc bool), narrow *classKernel) classKernel {
	return classKernel{nr: nr, name: name, narrow: narrow,
		fn: func(counts []int32, list []int32, b []float32, c []float32, ldc int, acc bool) {
			_ = counts[classLists-1]
			_ = c[3*ldc+nr-1]
			var lp *int32
			if len(list) > 0 {
				lp = &list[0]
			}
			tile(&counts[0], lp, &b[0], &c[0], ldc, acc)
		}}
}

// classKernelFor is the sign-class kernel this CPU runs.
func classKernelFor() *classKernel {
	if useAVX512 {
		return &avx512ClassKernel
	}
	if hasAVX2 {
		return &avx2ClassKernel
	}
	return &goClassKernel
}

// FastSignClasses reports whether BinaryConv2DClasses has an assembly
// kernel here; without one it is slower than BinaryConv2D.
func FastSignClasses() bool { return useAVX512 || hasAVX2 }

// asmClassKernels lists the sign-class assembly kernels this CPU runs.
func asmClassKernels() []*classKernel {
	var ks []*classKernel
	if hasAVX512 {
		ks = append(ks, &avx512ClassKernel, &avx512ClassKernel32)
	}
	if hasAVX2 {
		ks = append(ks, &avx2ClassKernel)
	}
	return ks
}
