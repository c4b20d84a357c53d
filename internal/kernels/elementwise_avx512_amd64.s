//go:build !purego

#include "textflag.h"

// The AVX-512 bodies of elementwise.go; each handles all n elements, the
// last n mod 16 through the mask K1.

// tailMask sets K1 to the low DX bits (DX < 16), clobbering BX and CX.
#define tailMask \
	MOVL $1, BX; \
	MOVQ DX, CX; \
	SHLL CX, BX; \
	DECL BX; \
	KMOVW BX, K1

// func addIntoAVX512(n int, dst, src *float32)
TEXT ·addIntoAVX512(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), AX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	MOVQ AX, DX
	SHRQ $4, AX
	ANDQ $15, DX
	TESTQ AX, AX
	JEQ atail
aloop:
	VMOVUPS (DI), Z0
	VADDPS (SI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ AX
	JNZ aloop
atail:
	TESTQ DX, DX
	JEQ adone
	tailMask
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z (SI), K1, Z1
	VADDPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (DI)
adone:
	VZEROUPPER
	RET

// func reluAVX512(n int, dst, src *float32)
//
// VMAXPS returns its second source when either is NaN or both are zero,
// so max(0, v) keeps a NaN v and a −0 v, as the Go loop does.
TEXT ·reluAVX512(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), AX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	VPXORD Z8, Z8, Z8
	MOVQ AX, DX
	SHRQ $4, AX
	ANDQ $15, DX
	TESTQ AX, AX
	JEQ rtail
rloop:
	VMAXPS (SI), Z8, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ AX
	JNZ rloop
rtail:
	TESTQ DX, DX
	JEQ rdone
	tailMask
	VMOVUPS.Z (SI), K1, Z1
	VMAXPS Z1, Z8, Z0
	VMOVUPS Z0, K1, (DI)
rdone:
	VZEROUPPER
	RET

// func zeroOutsideAVX512(n int, dy, ref *float32, lo, hi float32)
//
// Ordered compares are false on NaN, so a NaN ref zeroes dy.
TEXT ·zeroOutsideAVX512(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), AX
	MOVQ dy+8(FP), DI
	MOVQ ref+16(FP), SI
	VBROADCASTSS lo+24(FP), Z8
	VBROADCASTSS hi+28(FP), Z9
	MOVQ AX, DX
	SHRQ $4, AX
	ANDQ $15, DX
	TESTQ AX, AX
	JEQ ztail
zloop:
	VMOVUPS (SI), Z1
	VCMPPS $0x1e, Z8, Z1, K2
	VCMPPS $0x11, Z9, Z1, K3
	KANDW K2, K3, K2
	VMOVUPS.Z (DI), K2, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ AX
	JNZ zloop
ztail:
	TESTQ DX, DX
	JEQ zdone
	tailMask
	VMOVUPS.Z (SI), K1, Z1
	VCMPPS $0x1e, Z8, Z1, K2
	VCMPPS $0x11, Z9, Z1, K3
	KANDW K2, K3, K2
	KANDW K1, K2, K2
	VMOVUPS.Z (DI), K2, Z0
	VMOVUPS Z0, K1, (DI)
zdone:
	VZEROUPPER
	RET

// func maxIntoAVX512(n int, dst, src *float32)
//
//	for i < n: dst[i] = max(dst[i], src[i]), NaN when either is NaN
//
// VMAXPS returns its second source when either is NaN, which keeps a NaN
// src; a NaN dst is put back through the unordered mask.
// All n elements: the last n mod 16 through a mask.
TEXT ·maxIntoAVX512(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	MOVQ CX, DX
	SHRQ $4, CX
	ANDQ $15, DX
	TESTQ CX, CX
	JEQ mtail
mloop:
	VMOVUPS (DI), Z0
	VMAXPS (SI), Z0, Z1
	VCMPPS $3, Z0, Z0, K2
	VMOVAPS Z0, K2, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ mloop
mtail:
	TESTQ DX, DX
	JEQ mdone
	MOVL $1, BX
	MOVQ DX, CX
	SHLL CX, BX
	DECL BX
	KMOVW BX, K1
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z (SI), K1, Z2
	VMAXPS Z2, Z0, Z1
	VCMPPS $3, Z0, Z0, K2
	VMOVAPS Z0, K2, Z1
	VMOVUPS Z1, K1, (DI)
mdone:
	VZEROUPPER
	RET

// func scaleAddRowAVX512(n int, src *float32, s, b float32, dst *float32)
//
//	for i < n: dst[i] = s·src[i] + b   (a multiply, then an add: no FMA)
//
// All n elements: the last n mod 16 through a mask.
TEXT ·scaleAddRowAVX512(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ CX, DX
	SHRQ $4, CX
	ANDQ $15, DX
	MOVQ src+8(FP), SI
	VBROADCASTSS s+16(FP), Z9
	VBROADCASTSS b+20(FP), Z10
	MOVQ dst+24(FP), DI
	TESTQ CX, CX
	JEQ stail
sloop:
	VMULPS (SI), Z9, Z0
	VADDPS Z10, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ sloop
stail:
	TESTQ DX, DX
	JEQ sdone
	MOVL $1, AX
	MOVQ DX, CX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	VMOVUPS.Z (SI), K1, Z0
	VMULPS Z0, Z9, Z0
	VADDPS Z10, Z0, Z0
	VMOVUPS Z0, K1, (DI)
sdone:
	VZEROUPPER
	RET
