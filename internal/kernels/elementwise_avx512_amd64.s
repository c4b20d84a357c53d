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

// func scaleAddRowsAVX512(rows, n int, src *float32, sstride int, s, b float32, dst *float32, dstride int, floor float32)
//
//	for r < rows, i < n: dst[r·dstride+i] = max(floor, s·src[r·sstride+i] + b)
//
// A multiply, then an add (no FMA), then VMAXPS with floor as its first
// source, so NaN and −0 pass: floor 0 is Relu, −Inf nothing. The last
// n mod 16 of a row go through a mask.
TEXT ·scaleAddRowsAVX512(SB), NOSPLIT, $0-60
	MOVQ n+8(FP), DX
	MOVQ DX, CX
	ANDQ $15, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	SHRQ $4, DX
	MOVQ rows+0(FP), R8
	MOVQ src+16(FP), SI
	MOVQ sstride+24(FP), R9
	SHLQ $2, R9
	VBROADCASTSS s+32(FP), Z9
	VBROADCASTSS b+36(FP), Z10
	MOVQ dst+40(FP), DI
	MOVQ dstride+48(FP), R12
	SHLQ $2, R12
	VBROADCASTSS floor+56(FP), Z11
srow:
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ DX, CX
	TESTQ CX, CX
	JEQ stail
sloop:
	VMULPS (R10), Z9, Z0
	VADDPS Z10, Z0, Z0
	VMAXPS Z0, Z11, Z0
	VMOVUPS Z0, (R11)
	ADDQ $64, R10
	ADDQ $64, R11
	DECQ CX
	JNZ sloop
stail:
	KORTESTW K1, K1
	JEQ snext
	VMOVUPS.Z (R10), K1, Z0
	VMULPS Z0, Z9, Z0
	VADDPS Z10, Z0, Z0
	VMAXPS Z0, Z11, Z0
	VMOVUPS Z0, K1, (R11)
snext:
	ADDQ R9, SI
	ADDQ R12, DI
	DECQ R8
	JNZ srow
	VZEROUPPER
	RET

// func maskInRangeAVX512(words int, mask *uint64, x *float32, lo, hi float32)
//
// 64 elements per word: each 16 give a 16-bit compare mask, stored in turn.
TEXT ·maskInRangeAVX512(SB), NOSPLIT, $0-32
	MOVQ words+0(FP), CX
	MOVQ mask+8(FP), DI
	MOVQ x+16(FP), SI
	VBROADCASTSS lo+24(FP), Z8
	VBROADCASTSS hi+28(FP), Z9
	TESTQ CX, CX
	JEQ kdone
kloop:
	VMOVUPS (SI), Z0
	VCMPPS $0x1e, Z8, Z0, K1
	VCMPPS $0x11, Z9, Z0, K2
	KANDW K1, K2, K1
	KMOVW K1, (DI)
	VMOVUPS 64(SI), Z0
	VCMPPS $0x1e, Z8, Z0, K1
	VCMPPS $0x11, Z9, Z0, K2
	KANDW K1, K2, K1
	KMOVW K1, 2(DI)
	VMOVUPS 128(SI), Z0
	VCMPPS $0x1e, Z8, Z0, K1
	VCMPPS $0x11, Z9, Z0, K2
	KANDW K1, K2, K1
	KMOVW K1, 4(DI)
	VMOVUPS 192(SI), Z0
	VCMPPS $0x1e, Z8, Z0, K1
	VCMPPS $0x11, Z9, Z0, K2
	KANDW K1, K2, K1
	KMOVW K1, 6(DI)
	ADDQ $256, SI
	ADDQ $8, DI
	DECQ CX
	JNZ kloop
kdone:
	VZEROUPPER
	RET

// func zeroUnmaskedAVX512(words int, dy *float32, mask *uint64)
//
// 64 elements per word: each 16 are kept under their 16 mask bits.
TEXT ·zeroUnmaskedAVX512(SB), NOSPLIT, $0-24
	MOVQ words+0(FP), CX
	MOVQ dy+8(FP), DI
	MOVQ mask+16(FP), SI
	TESTQ CX, CX
	JEQ udone
uloop:
	KMOVW (SI), K1
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS Z0, (DI)
	KMOVW 2(SI), K1
	VMOVUPS.Z 64(DI), K1, Z0
	VMOVUPS Z0, 64(DI)
	KMOVW 4(SI), K1
	VMOVUPS.Z 128(DI), K1, Z0
	VMOVUPS Z0, 128(DI)
	KMOVW 6(SI), K1
	VMOVUPS.Z 192(DI), K1, Z0
	VMOVUPS Z0, 192(DI)
	ADDQ $8, SI
	ADDQ $256, DI
	DECQ CX
	JNZ uloop
udone:
	VZEROUPPER
	RET
