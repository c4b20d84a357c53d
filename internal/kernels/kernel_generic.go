//go:build purego || !amd64

package kernels

// gemmKernel is the microkernel Sgemm uses: without assembly, the Go one.
func gemmKernel() *microKernel { return &goKernel }

// asmKernels lists the assembly microkernels this CPU can run: none.
func asmKernels() []*microKernel { return nil }

// int8KernelFor is the int8 kernel: without assembly, the Go one.
func int8KernelFor() *int8Kernel { return &goInt8Kernel }

// asmInt8Kernels lists the int8 assembly kernels: none.
func asmInt8Kernels() []*int8Kernel { return nil }

func maxAbsBitsFast([]float32) (int, uint32) { return 0, 0 }

func epilogueRowFast(Epilogue, []float32, int) int { return 0 }

func maxIntoFast(_, _ []float32) int { return 0 }

func addIntoFast(_, _ []float32) int { return 0 }

func reluFast(_, _ []float32) int { return 0 }

func zeroOutsideFast(_, _ []float32, _, _ float32) int { return 0 }

func maskInRangeFast(_ []uint64, _ []float32, _, _ float32) int { return 0 }

func zeroUnmaskedFast(_ []float32, _ []uint64) int { return 0 }

func quantRows4Fast(_, _, _, _ []float32, _ float32, _ []uint32) int { return 0 }

func dequantRowFast([]int32, int32, float32, float32, []float32) int { return 0 }

// dotKernelFor is the lane-wise dot-product tile: without assembly, Go's.
func dotKernelFor() *dotKernel { return &goDotKernel }

// asmDotKernels lists the assembly dot-product tiles: none.
func asmDotKernels() []*dotKernel { return nil }

func deinterleave2Fast(_, _, _ []float32) int { return 0 }

func interleave2Fast(_, _, _ []float32) int { return 0 }

func copyRowsFast(_ []float32, _ int, _ []float32, _, _, _, _ int) bool { return false }

// classKernelFor is the sign-class kernel: without assembly, the Go one.
func classKernelFor() *classKernel { return &goClassKernel }

// FastSignClasses reports whether BinaryConv2DClasses has an assembly
// kernel here: not without assembly.
func FastSignClasses() bool { return false }

// asmClassKernels lists the sign-class assembly kernels: none.
func asmClassKernels() []*classKernel { return nil }

func scaleAddRowsFast(_ []float32, _ int, _ []float32, _, _, _ int, _, _, _ float32) bool {
	return false
}

func momentsFast(*laneSums, []float32, float64) int { return 0 }

func crossFast(*laneSums, []float32, []float32, float64) int { return 0 }

func combineFast(_, _, _ []float32, _, _, _ float32) int { return 0 }

func lookupWordsFast(_, _ []float32, _ []uint64, _ int, _ *CodeTable) int { return 0 }

func stochasticBitsFast([]uint64, int, []float32, float32, float32, uint64) int { return 0 }

func minMaxFast(*[2][sumLanes]float32, []float32) int { return 0 }

func stochasticCodes2Fast([]uint64, int, []float32, []float32, [2]float32, [2]float32, uint64) int {
	return 0
}

// filterKernelsFor is nil: without assembly, shiftBackwardFilter serves.
func filterKernelsFor() *filterKernels { return nil }

// asmFilterKernels lists the filter-gradient assembly: none.
func asmFilterKernels() []*filterKernels { return nil }

func maxArgStepFast(_ []float32, _ []int32, _ []float32, _ int32) int { return 0 }

func linRowsFast(int, []float32, []float32, []int, []float32, []int) bool { return false }

func winoSplitFast(int, int, int, []float32, []float32, int, []float32, int, int) bool { return false }

func winoMergeFast(int, []float32, []float32, int, []float32, int, int) bool { return false }

// useAVX512 is false: no assembly.
const useAVX512 = false
