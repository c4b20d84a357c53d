//go:build !purego

#include "textflag.h"

// The AVX-512 helpers of the int8 path. Each handles n rounded down to a
// multiple of 16 (64 for maxAbs); its Go twin in quant.go does the rest and
// defines it.

// func maxAbsBitsAVX512(x *float32, n int) uint32
//
//	m := 0; for i < n: m = max(m, bits(x[i]) &^ sign)
//
// As unsigned integers, the bits of |x| order like the values, and every
// NaN or Inf is at least 0x7f800000: one pass finds the scale and whether
// x is finite.
TEXT ·maxAbsBitsAVX512(SB), NOSPLIT, $0-20
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
	VPMAXUD Z4, Z0, Z0
	VPMAXUD Z5, Z1, Z1
	VPMAXUD Z6, Z2, Z2
	VPMAXUD Z7, Z3, Z3
	ADDQ $256, SI
	DECQ CX
	JNZ maxloop
reduce:
	VPMAXUD Z1, Z0, Z0
	VPMAXUD Z3, Z2, Z2
	VPMAXUD Z2, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPMAXUD Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPMAXUD X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VPMAXUD X1, X0, X0
	VPSHUFD $0xb1, X0, X1
	VPMAXUD X1, X0, X0
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// func quantRows4AVX512(n int, x0, x1, x2, x3 *float32, inv float32, dst *uint32)
//
//	for i < n: dst[i] = Σ_c uint32(quantize(xc[i], inv)+128) << 8c
//
// All n elements: the last n mod 16 through a mask. VCVTPS2DQ rounds to
// nearest even (the MXCSR default Go keeps).
TEXT ·quantRows4AVX512(SB), NOSPLIT, $0-56
	MOVQ n+0(FP), CX
	MOVQ CX, DX
	SHRQ $4, CX
	ANDQ $15, DX
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
	JEQ qtail
qloop:
	VMOVUPS (R8), Z0
	VMOVUPS (R9), Z1
	VMOVUPS (R10), Z2
	VMOVUPS (R11), Z3
	VMULPS Z8, Z0, Z0
	VMULPS Z8, Z1, Z1
	VMULPS Z8, Z2, Z2
	VMULPS Z8, Z3, Z3
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
qtail:
	TESTQ DX, DX
	JEQ qdone
	MOVL $1, AX
	MOVQ DX, CX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	VMOVUPS.Z (R8), K1, Z0
	VMOVUPS.Z (R9), K1, Z1
	VMOVUPS.Z (R10), K1, Z2
	VMOVUPS.Z (R11), K1, Z3
	VMULPS Z8, Z0, Z0
	VMULPS Z8, Z1, Z1
	VMULPS Z8, Z2, Z2
	VMULPS Z8, Z3, Z3
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
	VMOVDQU32 Z0, K1, (DI)
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

// func epilogueRowAVX512(n int, y, add *float32, relu bool)
//
//	for i < n: if add != nil { y[i] += add[i] }; if relu { y[i] = max(y[i], 0) }
//
// with Go's max: NaN stays NaN and −0 becomes +0. VMAXPS returns its second
// source when either is NaN or both are zero, so max(0, v) keeps a NaN v
// and a −0 v; adding +0 then turns −0 into +0 and changes nothing else.
// All n elements: the last n mod 16 through a mask.
TEXT ·epilogueRowAVX512(SB), NOSPLIT, $0-25
	MOVQ n+0(FP), CX
	MOVQ y+8(FP), DI
	MOVQ add+16(FP), SI
	MOVBLZX relu+24(FP), AX
	VPXORD Z8, Z8, Z8
	MOVQ CX, DX
	SHRQ $4, CX
	ANDQ $15, DX
	TESTQ CX, CX
	JEQ etail
eloop:
	VMOVUPS (DI), Z0
	TESTQ SI, SI
	JEQ enoadd
	VADDPS (SI), Z0, Z0
	ADDQ $64, SI
enoadd:
	TESTL AX, AX
	JEQ enorelu
	VMAXPS Z0, Z8, Z0
	VADDPS Z8, Z0, Z0
enorelu:
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	DECQ CX
	JNZ eloop
etail:
	TESTQ DX, DX
	JEQ edone
	MOVL $1, BX
	MOVQ DX, CX
	SHLL CX, BX
	DECL BX
	KMOVW BX, K1
	VMOVUPS.Z (DI), K1, Z0
	TESTQ SI, SI
	JEQ etnoadd
	VMOVUPS.Z (SI), K1, Z1
	VADDPS Z1, Z0, Z0
etnoadd:
	TESTL AX, AX
	JEQ etnorelu
	VMAXPS Z0, Z8, Z0
	VADDPS Z8, Z0, Z0
etnorelu:
	VMOVUPS Z0, K1, (DI)
edone:
	VZEROUPPER
	RET
