//go:build !purego

#include "textflag.h"

// The AVX2 body of stochastic.go, the AVX-512 one's twin in ymm registers:
// the eight 64-bit counters of a block of 16 elements sit in two registers,
// Y15 (draws k0..k0+3, elements 0..7) and Y14 (draws k0+4..k0+7, elements
// 8..15). AVX2 has no 64-bit lane multiply (VPMULLQ); mul64 builds its low
// 64 bits from VPMULUDQ (low × low, 64-bit) and VPMULLD (the two cross
// products' low 32 bits), so the stream is bit for bit the same.

DATA avx2draws<>+0(SB)/8, $0
DATA avx2draws<>+8(SB)/8, $0x9e3779b97f4a7c15
DATA avx2draws<>+16(SB)/8, $0x3c6ef372fe94f82a
DATA avx2draws<>+24(SB)/8, $0xdaa66d2c7ddf743f
DATA avx2draws<>+32(SB)/8, $0x78dde6e5fd29f054
DATA avx2draws<>+40(SB)/8, $0x1715609f7c746c69
DATA avx2draws<>+48(SB)/8, $0xb54cda58fbbee87e
DATA avx2draws<>+56(SB)/8, $0x538454127b096493
GLOBL avx2draws<>(SB), RODATA|NOPTR, $64

// avx2step is 8·golden per lane: a block's eight draws.
DATA avx2step<>+0(SB)/8, $0xf1bbcdcbfa53e0a8
DATA avx2step<>+8(SB)/8, $0xf1bbcdcbfa53e0a8
DATA avx2step<>+16(SB)/8, $0xf1bbcdcbfa53e0a8
DATA avx2step<>+24(SB)/8, $0xf1bbcdcbfa53e0a8
GLOBL avx2step<>(SB), RODATA|NOPTR, $32

// avx2halves, as dwords 8, 0, 8, 0, …: after the swap, the high dword of
// each draw shifts right by 8 (its top 24 bits), the low one stays.
DATA avx2halves<>+0(SB)/8, $8
DATA avx2halves<>+8(SB)/8, $8
DATA avx2halves<>+16(SB)/8, $8
DATA avx2halves<>+24(SB)/8, $8
GLOBL avx2halves<>(SB), RODATA|NOPTR, $32

DATA avx2mask24<>+0(SB)/8, $0x00ffffff00ffffff
DATA avx2mask24<>+8(SB)/8, $0x00ffffff00ffffff
DATA avx2mask24<>+16(SB)/8, $0x00ffffff00ffffff
DATA avx2mask24<>+24(SB)/8, $0x00ffffff00ffffff
GLOBL avx2mask24<>(SB), RODATA|NOPTR, $32

// avx2scale is 2^−24 in every float lane.
DATA avx2scale<>+0(SB)/8, $0x3380000033800000
DATA avx2scale<>+8(SB)/8, $0x3380000033800000
DATA avx2scale<>+16(SB)/8, $0x3380000033800000
DATA avx2scale<>+24(SB)/8, $0x3380000033800000
GLOBL avx2scale<>(SB), RODATA|NOPTR, $32

DATA avx2one<>+0(SB)/8, $0x3f8000003f800000
DATA avx2one<>+8(SB)/8, $0x3f8000003f800000
DATA avx2one<>+16(SB)/8, $0x3f8000003f800000
DATA avx2one<>+24(SB)/8, $0x3f8000003f800000
GLOBL avx2one<>(SB), RODATA|NOPTR, $32

// avx2shift2 is each lane's bit offset in a block's 32-bit chunk of 2-bit
// codes: 0, 2, …, 14 for elements 0..7, then 16, …, 30 for 8..15.
DATA avx2shift2<>+0(SB)/8, $0x0000000200000000
DATA avx2shift2<>+8(SB)/8, $0x0000000600000004
DATA avx2shift2<>+16(SB)/8, $0x0000000a00000008
DATA avx2shift2<>+24(SB)/8, $0x0000000e0000000c
DATA avx2shift2<>+32(SB)/8, $0x0000001200000010
DATA avx2shift2<>+40(SB)/8, $0x0000001600000014
DATA avx2shift2<>+48(SB)/8, $0x0000001a00000018
DATA avx2shift2<>+56(SB)/8, $0x0000001e0000001c
GLOBL avx2shift2<>(SB), RODATA|NOPTR, $64

// avx2lowbit and avx2highbit are bits 2i and 2i+1 for lane i of the block
// (elements 0..7, then 8..15): a code's low and high bits in its chunk.
DATA avx2lowbit<>+0(SB)/8, $0x0000000400000001
DATA avx2lowbit<>+8(SB)/8, $0x0000004000000010
DATA avx2lowbit<>+16(SB)/8, $0x0000040000000100
DATA avx2lowbit<>+24(SB)/8, $0x0000400000001000
DATA avx2lowbit<>+32(SB)/8, $0x0004000000010000
DATA avx2lowbit<>+40(SB)/8, $0x0040000000100000
DATA avx2lowbit<>+48(SB)/8, $0x0400000001000000
DATA avx2lowbit<>+56(SB)/8, $0x4000000010000000
GLOBL avx2lowbit<>(SB), RODATA|NOPTR, $64

DATA avx2highbit<>+0(SB)/8, $0x0000000800000002
DATA avx2highbit<>+8(SB)/8, $0x0000008000000020
DATA avx2highbit<>+16(SB)/8, $0x0000080000000200
DATA avx2highbit<>+24(SB)/8, $0x0000800000002000
DATA avx2highbit<>+32(SB)/8, $0x0008000000020000
DATA avx2highbit<>+40(SB)/8, $0x0080000000200000
DATA avx2highbit<>+48(SB)/8, $0x0800000002000000
DATA avx2highbit<>+56(SB)/8, $0x8000000020000000
GLOBL avx2highbit<>(SB), RODATA|NOPTR, $64

// avx2Setup loads the stream's registers: Y15, Y14 the counters from the
// broadcast counter in Y15, Y12/Y11 splitmix64's first multiplier and the
// same with its dwords swapped, Y10/Y9 the second's (clobbers AX).
#define avx2Setup \
	VPADDQ avx2draws<>+32(SB), Y15, Y14; \
	VPADDQ avx2draws<>+0(SB), Y15, Y15; \
	MOVQ $0xbf58476d1ce4e5b9, AX; \
	VMOVQ AX, X12; \
	VPBROADCASTQ X12, Y12; \
	VPSHUFD $0xb1, Y12, Y11; \
	MOVQ $0x94d049bb133111eb, AX; \
	VMOVQ AX, X10; \
	VPBROADCASTQ X10, Y10; \
	VPSHUFD $0xb1, Y10, Y9

// mul64 sets each qword z of R to z·K mod 2^64, K in KQ and its dwords
// swapped in KS: z.lo·K.lo + (z.lo·K.hi + z.hi·K.lo)<<32 (clobbers T, U).
#define mul64(R, KQ, KS, T, U) \
	VPMULLD KS, R, T; \
	VPMULUDQ KQ, R, R; \
	VPSHUFD $0xb1, T, U; \
	VPADDD U, T, T; \
	VPSLLQ $32, T, T; \
	VPADDQ T, R, R

// uniforms8 sets R to the 8 uniforms of the 4 draws whose counters are in C
// (clobbers T, U).
#define uniforms8(C, R, T, U) \
	VPSRLQ $30, C, R; \
	VPXOR C, R, R; \
	mul64(R, Y12, Y11, T, U); \
	VPSRLQ $27, R, T; \
	VPXOR T, R, R; \
	mul64(R, Y10, Y9, T, U); \
	VPSRLQ $31, R, T; \
	VPXOR T, R, R; \
	VPSHUFD $0xb1, R, R; \
	VPSRLVD avx2halves<>(SB), R, R; \
	VPAND avx2mask24<>(SB), R, R; \
	VCVTDQ2PS R, R; \
	VMULPS avx2scale<>(SB), R, R

// step advances both counters by a block's eight draws.
#define step \
	VPADDQ avx2step<>(SB), Y15, Y15; \
	VPADDQ avx2step<>(SB), Y14, Y14

// orChunk ORs the 8 dwords of Y0 (disjoint bits) into a 32-bit chunk at
// (DI) (clobbers X1).
#define orChunk \
	VEXTRACTI128 $1, Y0, X1; \
	VPOR X1, X0, X0; \
	VPSHUFD $0x4e, X0, X1; \
	VPOR X1, X0, X0; \
	VPSHUFD $0xb1, X0, X1; \
	VPOR X1, X0, X0; \
	VMOVD X0, (DI)

// func stochasticBitsAVX2(blocks int, bits *uint16, x *float32, lo, inv float32, counter uint64)
//
// counter is seed + (k0+1)·golden for the block's first draw k0. The bit is
// (x − lo)·inv + U ≥ 1 (ordered: never for NaN), the two halves' masks
// joined into the block's 16 bits.
TEXT ·stochasticBitsAVX2(SB), NOSPLIT, $0-40
	MOVQ blocks+0(FP), CX
	MOVQ bits+8(FP), DI
	MOVQ x+16(FP), SI
	VBROADCASTSS lo+24(FP), Y8
	VBROADCASTSS inv+28(FP), Y7
	VPBROADCASTQ counter+32(FP), Y15
	avx2Setup
	VMOVUPS avx2one<>(SB), Y6
sloop:
	uniforms8(Y15, Y0, Y1, Y2)
	uniforms8(Y14, Y3, Y4, Y5)
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y4
	VSUBPS Y8, Y1, Y1
	VSUBPS Y8, Y4, Y4
	VMULPS Y7, Y1, Y1
	VMULPS Y7, Y4, Y4
	VADDPS Y0, Y1, Y1
	VADDPS Y3, Y4, Y4
	VCMPPS $0x1d, Y6, Y1, Y1
	VCMPPS $0x1d, Y6, Y4, Y4
	VMOVMSKPS Y1, AX
	VMOVMSKPS Y4, BX
	SHLL $8, BX
	ORL BX, AX
	MOVW AX, (DI)
	step
	ADDQ $64, SI
	ADDQ $2, DI
	DECQ CX
	JNZ sloop
	VZEROUPPER
	RET

// func stochasticCodes2AVX2(blocks int, codes *uint32, x, relu *float32, a0, a1, b0, b1 float32, counter uint64)
//
// relu == nil: c = min(⌊(x − b0)·a0 + U⌋, 3), clamped at 0 (NaN gives 0:
// VMINPS passes a NaN f on to the conversion, which makes it INT_MIN),
// shifted to its place in the chunk. Otherwise on = relu > 0 (ordered),
// level = x·a[on] + b[on] + U ≥ 1, and the masks pick the code's bits
// from avx2lowbit and avx2highbit. Either way orChunk joins the lanes.
TEXT ·stochasticCodes2AVX2(SB), NOSPLIT, $0-56
	MOVQ blocks+0(FP), CX
	MOVQ codes+8(FP), DI
	MOVQ x+16(FP), SI
	MOVQ relu+24(FP), DX
	VBROADCASTSS a0+32(FP), Y8
	VBROADCASTSS a1+36(FP), Y7
	VBROADCASTSS b0+40(FP), Y6
	VBROADCASTSS b1+44(FP), Y5
	VPBROADCASTQ counter+48(FP), Y15
	avx2Setup
	VXORPS Y4, Y4, Y4
	TESTQ DX, DX
	JNE rloop
	MOVL $0x40400000, AX
	VMOVQ AX, X7
	VPBROADCASTD X7, Y7
ploop:
	uniforms8(Y15, Y0, Y1, Y2)
	VMOVUPS (SI), Y1
	VSUBPS Y6, Y1, Y1
	VMULPS Y8, Y1, Y1
	VADDPS Y0, Y1, Y1
	VMINPS Y1, Y7, Y1
	VCVTTPS2DQ Y1, Y1
	VPMAXSD Y4, Y1, Y1
	VPSLLVD avx2shift2<>+0(SB), Y1, Y13
	uniforms8(Y14, Y0, Y1, Y2)
	VMOVUPS 32(SI), Y1
	VSUBPS Y6, Y1, Y1
	VMULPS Y8, Y1, Y1
	VADDPS Y0, Y1, Y1
	VMINPS Y1, Y7, Y1
	VCVTTPS2DQ Y1, Y1
	VPMAXSD Y4, Y1, Y1
	VPSLLVD avx2shift2<>+32(SB), Y1, Y0
	VPOR Y13, Y0, Y0
	orChunk
	step
	ADDQ $64, SI
	ADDQ $4, DI
	DECQ CX
	JNZ ploop
	VZEROUPPER
	RET
rloop:
	uniforms8(Y15, Y0, Y1, Y2)
	VCMPPS $0x11, (DX), Y4, Y1
	VBLENDVPS Y1, Y7, Y8, Y2
	VBLENDVPS Y1, Y5, Y6, Y3
	VMULPS (SI), Y2, Y2
	VADDPS Y3, Y2, Y2
	VADDPS Y0, Y2, Y2
	VCMPPS $0x1d, avx2one<>(SB), Y2, Y2
	VPAND avx2lowbit<>+0(SB), Y1, Y1
	VPAND avx2highbit<>+0(SB), Y2, Y2
	VPOR Y2, Y1, Y13
	uniforms8(Y14, Y0, Y1, Y2)
	VCMPPS $0x11, 32(DX), Y4, Y1
	VBLENDVPS Y1, Y7, Y8, Y2
	VBLENDVPS Y1, Y5, Y6, Y3
	VMULPS 32(SI), Y2, Y2
	VADDPS Y3, Y2, Y2
	VADDPS Y0, Y2, Y2
	VCMPPS $0x1d, avx2one<>(SB), Y2, Y2
	VPAND avx2lowbit<>+32(SB), Y1, Y1
	VPAND avx2highbit<>+32(SB), Y2, Y2
	VPOR Y2, Y1, Y0
	VPOR Y13, Y0, Y0
	orChunk
	step
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $4, DI
	DECQ CX
	JNZ rloop
	VZEROUPPER
	RET
