//go:build !purego

package kernels

import "testing"

// TestAVX2Paths runs the convolution, binary and int8 sweeps with the AVX2
// kernels and without the AVX-512 helpers, as on a CPU without AVX-512.
func TestAVX2Paths(t *testing.T) {
	if !hasAVX512 || !hasAVX2 {
		t.Skip("the AVX2 paths are the default here, or unavailable")
	}
	useAVX512 = false
	defer func() { useAVX512 = hasAVX512 }()
	if k := gemmKernel(); k != &avx2Kernel {
		t.Fatalf("kernel %s, want %s", k.name, avx2Kernel.name)
	}
	t.Run("conv", TestConvSweep)
	t.Run("binary", TestBinaryConv2DSweep)
	t.Run("int8", TestBinaryConv2DInt8Sweep)
	t.Run("gemm", TestSgemmBlocks)
	t.Run("helpers", TestQuantHelpers)
	t.Run("rows", TestRowHelpers)
	t.Run("deinterleave", TestDeinterleave2)
	t.Run("deterministic", TestConvDeterministic)
	t.Run("elementwise", TestElementwise)
	t.Run("scaleAddRows", TestScaleAddRows)
	t.Run("masks", TestMasks)
	t.Run("sums", TestSums)
	t.Run("minMax", TestMinMax)
	t.Run("combine", TestCombine)
	t.Run("maxPool", TestMaxPoolArg)
	t.Run("codes", func(t *testing.T) {
		TestLookupCodes(t)
		TestStochasticBits(t)
		TestStochasticCodes2(t)
		TestEpilogueApplySpecials(t)
	})
	t.Run("winograd", TestWinograd)
	t.Run("winograd-deterministic", TestWinogradDeterministic)
	t.Run("wino-rows", TestWinoRows)
	t.Run("wino-fused-bits", TestWinoFusedBits)
	t.Run("linrows", TestLinRows)
	t.Run("filter-tiles", TestFilterTiles)
	t.Run("transpose16", TestTranspose16)
	t.Run("filter-waves", TestFilterWaves)
	t.Run("classes", TestBinaryConv2DClassesSweep)
}
