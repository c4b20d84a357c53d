//go:build !purego

#include "textflag.h"

// The AVX-512 helpers of the int8 path. Each handles n rounded down to a
// multiple of 16 (64 for maxAbs); its Go twin in quant.go does the rest and
// defines it.

// func maxAbsAVX512(x *float32, n int) float32
//
//	m := 0; for i < n: m = max(m, |x[i]|)
TEXT ·maxAbsAVX512(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	SHRQ $6, CX
	MOVL $0x7fffffff, AX
	VPBROADCASTD AX, Z8
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	TESTQ CX, CX
	JEQ reduce
maxloop:
	VPANDD (SI), Z8, Z4
	VPANDD 64(SI), Z8, Z5
	VPANDD 128(SI), Z8, Z6
	VPANDD 192(SI), Z8, Z7
	VMAXPS Z4, Z0, Z0
	VMAXPS Z5, Z1, Z1
	VMAXPS Z6, Z2, Z2
	VMAXPS Z7, Z3, Z3
	ADDQ $256, SI
	DECQ CX
	JNZ maxloop
reduce:
	VMAXPS Z1, Z0, Z0
	VMAXPS Z3, Z2, Z2
	VMAXPS Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VMAXPS X1, X0, X0
	VPSHUFD $0xb1, X0, X1
	VMAXPS X1, X0, X0
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// func quantRows4AVX512(n int, x0, x1, x2, x3 *float32, inv float32, dst *uint32)
//
//	for i < n: dst[i] = Σ_c uint32(quantize(xc[i], inv)+128) << 8c
//
// VCVTPS2DQ rounds to nearest even (the MXCSR default Go keeps).
TEXT ·quantRows4AVX512(SB), NOSPLIT, $0-56
	MOVQ n+0(FP), CX
	SHRQ $4, CX
	MOVQ x0+8(FP), R8
	MOVQ x1+16(FP), R9
	MOVQ x2+24(FP), R10
	MOVQ x3+32(FP), R11
	VBROADCASTSS inv+40(FP), Z8
	MOVQ dst+48(FP), DI
	MOVL $127, AX
	VPBROADCASTD AX, Z9
	MOVL $-127, AX
	VPBROADCASTD AX, Z10
	MOVL $128, AX
	VPBROADCASTD AX, Z11
	TESTQ CX, CX
	JEQ qdone
qloop:
	VMULPS (R8), Z8, Z0
	VMULPS (R9), Z8, Z1
	VMULPS (R10), Z8, Z2
	VMULPS (R11), Z8, Z3
	VCVTPS2DQ Z0, Z0
	VCVTPS2DQ Z1, Z1
	VCVTPS2DQ Z2, Z2
	VCVTPS2DQ Z3, Z3
	VPMINSD Z9, Z0, Z0
	VPMINSD Z9, Z1, Z1
	VPMINSD Z9, Z2, Z2
	VPMINSD Z9, Z3, Z3
	VPMAXSD Z10, Z0, Z0
	VPMAXSD Z10, Z1, Z1
	VPMAXSD Z10, Z2, Z2
	VPMAXSD Z10, Z3, Z3
	VPADDD Z11, Z0, Z0
	VPADDD Z11, Z1, Z1
	VPADDD Z11, Z2, Z2
	VPADDD Z11, Z3, Z3
	VPSLLD $8, Z1, Z1
	VPSLLD $16, Z2, Z2
	VPSLLD $24, Z3, Z3
	VPORD Z1, Z0, Z0
	VPORD Z3, Z2, Z2
	VPORD Z2, Z0, Z0
	VMOVDQU32 Z0, (DI)
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $64, DI
	DECQ CX
	JNZ qloop
qdone:
	VZEROUPPER
	RET

// func dequantRowAVX512(n int, src *int32, corr int32, m, b float32, dst *float32)
//
//	for i < n: dst[i] = m·float32(src[i]−corr) + b   (a multiply, then an add: no FMA)
//
// All n elements: the last n mod 16 through a mask.
TEXT ·dequantRowAVX512(SB), NOSPLIT, $0-40
	MOVQ n+0(FP), CX
	MOVQ CX, DX
	SHRQ $4, CX
	ANDQ $15, DX
	MOVQ src+8(FP), SI
	MOVL corr+16(FP), AX
	VPBROADCASTD AX, Z8
	VBROADCASTSS m+20(FP), Z9
	VBROADCASTSS b+24(FP), Z10
	MOVQ dst+32(FP), DI
	TESTQ CX, CX
	JEQ dtail
dloop:
	VMOVDQU32 (SI), Z0
	VPSUBD Z8, Z0, Z0
	VCVTDQ2PS Z0, Z0
	VMULPS Z9, Z0, Z0
	VADDPS Z10, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ dloop
dtail:
	TESTQ DX, DX
	JEQ ddone
	MOVL $1, AX
	MOVQ DX, CX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	VMOVDQU32.Z (SI), K1, Z0
	VPSUBD Z8, Z0, Z0
	VCVTDQ2PS Z0, Z0
	VMULPS Z9, Z0, Z0
	VADDPS Z10, Z0, Z0
	VMOVUPS Z0, K1, (DI)
ddone:
	VZEROUPPER
	RET
