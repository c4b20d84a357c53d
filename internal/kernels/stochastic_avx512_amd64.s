//go:build !purego

#include "textflag.h"

// The AVX-512 body of stochastic.go. Eight 64-bit counters per block of 16
// elements: lane j holds draw k0+j, whose dwords (low, high) swap to
// (high, low) so that element 2j takes the high dword's top 24 bits and
// element 2j+1 the low dword's low 24 bits, as Uniform orders them.

DATA draws<>+0(SB)/8, $0
DATA draws<>+8(SB)/8, $0x9e3779b97f4a7c15
DATA draws<>+16(SB)/8, $0x3c6ef372fe94f82a
DATA draws<>+24(SB)/8, $0xdaa66d2c7ddf743f
DATA draws<>+32(SB)/8, $0x78dde6e5fd29f054
DATA draws<>+40(SB)/8, $0x1715609f7c746c69
DATA draws<>+48(SB)/8, $0xb54cda58fbbee87e
DATA draws<>+56(SB)/8, $0x538454127b096493
GLOBL draws<>(SB), RODATA|NOPTR, $64

// halves, as dwords 8, 0, 8, 0, …: after the swap, the high dword of each
// draw shifts right by 8 (its top 24 bits), the low one stays.
DATA halves<>+0(SB)/8, $8
DATA halves<>+8(SB)/8, $8
DATA halves<>+16(SB)/8, $8
DATA halves<>+24(SB)/8, $8
DATA halves<>+32(SB)/8, $8
DATA halves<>+40(SB)/8, $8
DATA halves<>+48(SB)/8, $8
DATA halves<>+56(SB)/8, $8
GLOBL halves<>(SB), RODATA|NOPTR, $64

// streamSetup loads the stream's constants: Z22 the eight counters, Z23
// their step, Z24/Z25 splitmix64's multipliers, Z26 halves, Z27 the 24-bit
// mask, Z28 2^−24, Z29 1.0 (clobbers AX).
#define streamSetup \
	VPADDQ draws<>(SB), Z22, Z22; \
	MOVQ $0x9e3779b97f4a7c15, AX; \
	SHLQ $3, AX; \
	VPBROADCASTQ AX, Z23; \
	MOVQ $0xbf58476d1ce4e5b9, AX; \
	VPBROADCASTQ AX, Z24; \
	MOVQ $0x94d049bb133111eb, AX; \
	VPBROADCASTQ AX, Z25; \
	VMOVDQU64 halves<>(SB), Z26; \
	MOVL $0xffffff, AX; \
	VPBROADCASTD AX, Z27; \
	MOVL $0x33800000, AX; \
	VPBROADCASTD AX, Z28; \
	MOVL $0x3f800000, AX; \
	VPBROADCASTD AX, Z29

// uniforms sets Z0 to the block's 16 uniforms from the counters in Z22
// (clobbers Z1; the caller steps Z22 by Z23).
#define uniforms \
	VPSRLQ $30, Z22, Z0; \
	VPXORQ Z22, Z0, Z0; \
	VPMULLQ Z24, Z0, Z0; \
	VPSRLQ $27, Z0, Z1; \
	VPXORQ Z1, Z0, Z0; \
	VPMULLQ Z25, Z0, Z0; \
	VPSRLQ $31, Z0, Z1; \
	VPXORQ Z1, Z0, Z0; \
	VPSHUFD $0xb1, Z0, Z0; \
	VPSRLVD Z26, Z0, Z0; \
	VPANDD Z27, Z0, Z0; \
	VCVTUDQ2PS Z0, Z0; \
	VMULPS Z28, Z0, Z0

// func stochasticBitsAVX512(blocks int, bits *uint16, x *float32, lo, inv float32, counter uint64)
//
// counter is seed + (k0+1)·golden for the block's first draw k0.
TEXT ·stochasticBitsAVX512(SB), NOSPLIT, $0-40
	MOVQ blocks+0(FP), CX
	MOVQ bits+8(FP), DI
	MOVQ x+16(FP), SI
	VBROADCASTSS lo+24(FP), Z20
	VBROADCASTSS inv+28(FP), Z21
	VPBROADCASTQ counter+32(FP), Z22
	streamSetup
sloop:
	uniforms
	VMOVUPS (SI), Z2
	VSUBPS Z20, Z2, Z2
	VMULPS Z21, Z2, Z2
	VADDPS Z0, Z2, Z2
	VCMPPS $0x1d, Z29, Z2, K1
	KMOVW K1, (DI)
	VPADDQ Z23, Z22, Z22
	ADDQ $64, SI
	ADDQ $2, DI
	DECQ CX
	JNZ sloop
	VZEROUPPER
	RET

// storeCodes2 writes a block's 32-bit chunk of 2-bit codes at (DI) from
// the masks of their low (K1) and high (K2) bits, spread by PDEP over the
// even (R8) and odd (R9) bits (clobbers AX, BX).
#define storeCodes2 \
	KMOVW K1, AX; \
	KMOVW K2, BX; \
	PDEPL R8, AX, AX; \
	PDEPL R9, BX, BX; \
	ORL BX, AX; \
	MOVL AX, (DI)

// func stochasticCodes2AVX512(blocks int, codes *uint32, x, relu *float32, a0, a1, b0, b1 float32, counter uint64)
//
// Per block the code's low and high bits form two 16-bit masks, which
// PDEP spreads to the even and odd bits of the block's 32-bit chunk.
// relu == nil: c = min(⌊(x − b0)·a0 + U⌋, 3), clamped at 0 (NaN gives 0:
// VMINPS passes a NaN f on to the conversion, which makes it INT_MIN).
// Otherwise on = relu > 0, level = x·a[on] + b[on] + U ≥ 1, c = on | level<<1.
TEXT ·stochasticCodes2AVX512(SB), NOSPLIT, $0-56
	MOVQ blocks+0(FP), CX
	MOVQ codes+8(FP), DI
	MOVQ x+16(FP), SI
	MOVQ relu+24(FP), DX
	VBROADCASTSS a0+32(FP), Z16
	VBROADCASTSS a1+36(FP), Z17
	VBROADCASTSS b0+40(FP), Z18
	VBROADCASTSS b1+44(FP), Z19
	VPBROADCASTQ counter+48(FP), Z22
	streamSetup
	MOVL $0x40400000, AX
	VPBROADCASTD AX, Z20
	MOVL $1, AX
	VPBROADCASTD AX, Z30
	MOVL $2, AX
	VPBROADCASTD AX, Z31
	VPXORD Z21, Z21, Z21
	MOVL $0x55555555, R8
	MOVL $0xaaaaaaaa, R9
	TESTQ DX, DX
	JNE rloop
ploop:
	uniforms
	VMOVUPS (SI), Z2
	VSUBPS Z18, Z2, Z2
	VMULPS Z16, Z2, Z2
	VADDPS Z0, Z2, Z2
	VMINPS Z2, Z20, Z2
	VCVTTPS2DQ Z2, Z2
	VPMAXSD Z21, Z2, Z2
	VPTESTMD Z30, Z2, K1
	VPTESTMD Z31, Z2, K2
	storeCodes2
	VPADDQ Z23, Z22, Z22
	ADDQ $64, SI
	ADDQ $4, DI
	DECQ CX
	JNZ ploop
	VZEROUPPER
	RET
rloop:
	uniforms
	VMOVUPS (DX), Z3
	VCMPPS $0x1e, Z21, Z3, K1
	VBLENDMPS Z17, Z16, K1, Z4
	VBLENDMPS Z19, Z18, K1, Z5
	VMOVUPS (SI), Z2
	VMULPS Z4, Z2, Z2
	VADDPS Z5, Z2, Z2
	VADDPS Z0, Z2, Z2
	VCMPPS $0x1d, Z29, Z2, K2
	storeCodes2
	VPADDQ Z23, Z22, Z22
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $4, DI
	DECQ CX
	JNZ rloop
	VZEROUPPER
	RET
