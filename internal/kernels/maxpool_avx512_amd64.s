//go:build !purego

#include "textflag.h"

// func maxArgStepAVX512(n int, best *float32, idx *int32, src *float32, t int32)
//
//	for i < n: if src[i] > best[i] { best[i], idx[i] = src[i], t }
//
// The ordered compare (GT_OQ) is false on NaN, as Go's > is. All n
// elements: the last n mod 16 through the mask K1.
TEXT ·maxArgStepAVX512(SB), NOSPLIT, $0-36
	MOVQ n+0(FP), AX
	MOVQ best+8(FP), DI
	MOVQ idx+16(FP), R8
	MOVQ src+24(FP), SI
	MOVL t+32(FP), BX
	VPBROADCASTD BX, Z2
	MOVQ AX, DX
	SHRQ $4, AX
	ANDQ $15, DX
	TESTQ AX, AX
	JEQ mtail
mloop:
	VMOVUPS (SI), Z0
	VCMPPS $0x1e, (DI), Z0, K2
	VMOVUPS Z0, K2, (DI)
	VMOVDQU32 Z2, K2, (R8)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R8
	DECQ AX
	JNZ mloop
mtail:
	TESTQ DX, DX
	JEQ mdone
	MOVL $1, BX
	MOVQ DX, CX
	SHLL CX, BX
	DECL BX
	KMOVW BX, K1
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DI), K1, Z1
	VCMPPS $0x1e, Z1, Z0, K1, K2
	VMOVUPS Z0, K2, (DI)
	VMOVDQU32 Z2, K2, (R8)
mdone:
	VZEROUPPER
	RET

// func linRowsAVX512(n, m, k int, coef, src *float32, soffs *int, dst *float32, doffs *int)
//
//	for l < n, i < m: dst[doffs[i]+l] = Σ_{r<k} coef[i·k+r]·src[soffs[r]+l]
//
// 16 lanes at a time, the last n mod 16 through the mask K1: the k ≤ 6
// source vectors are loaded once (Z0..Z5), then each destination is a
// multiply and k−1 fused multiply-adds with the coefficient broadcast from
// memory.
TEXT ·linRowsAVX512(SB), NOSPLIT, $0-64
	MOVQ n+0(FP), AX
	MOVQ k+16(FP), R12
	MOVQ src+32(FP), SI
	MOVQ dst+48(FP), DI
	MOVQ soffs+40(FP), R11
	MOVL $0xffff, BX
	KMOVW BX, K1
lblock:
	TESTQ AX, AX
	JLE ldone
	CMPQ AX, $16
	JGE lfull
	MOVL $1, BX
	MOVQ AX, CX
	SHLL CX, BX
	DECL BX
	KMOVW BX, K1
lfull:
	MOVQ (R11), CX
	VMOVUPS.Z (SI)(CX*4), K1, Z0
	CMPQ R12, $1
	JEQ lloaded
	MOVQ 8(R11), CX
	VMOVUPS.Z (SI)(CX*4), K1, Z1
	CMPQ R12, $2
	JEQ lloaded
	MOVQ 16(R11), CX
	VMOVUPS.Z (SI)(CX*4), K1, Z2
	CMPQ R12, $3
	JEQ lloaded
	MOVQ 24(R11), CX
	VMOVUPS.Z (SI)(CX*4), K1, Z3
	CMPQ R12, $4
	JEQ lloaded
	MOVQ 32(R11), CX
	VMOVUPS.Z (SI)(CX*4), K1, Z4
	CMPQ R12, $5
	JEQ lloaded
	MOVQ 40(R11), CX
	VMOVUPS.Z (SI)(CX*4), K1, Z5
lloaded:
	MOVQ coef+24(FP), R8  // coef row i
	MOVQ doffs+56(FP), R9 // &doffs[i]
	MOVQ m+8(FP), R10
lrow:
	VMULPS.BCST (R8), Z0, Z8
	CMPQ R12, $1
	JEQ lstore
	VFMADD231PS.BCST 4(R8), Z1, Z8
	CMPQ R12, $2
	JEQ lstore
	VFMADD231PS.BCST 8(R8), Z2, Z8
	CMPQ R12, $3
	JEQ lstore
	VFMADD231PS.BCST 12(R8), Z3, Z8
	CMPQ R12, $4
	JEQ lstore
	VFMADD231PS.BCST 16(R8), Z4, Z8
	CMPQ R12, $5
	JEQ lstore
	VFMADD231PS.BCST 20(R8), Z5, Z8
lstore:
	LEAQ (R8)(R12*4), R8
	MOVQ (R9), CX
	VMOVUPS Z8, K1, (DI)(CX*4)
	ADDQ $8, R9
	DECQ R10
	JNZ lrow
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, AX
	JMP lblock
ldone:
	VZEROUPPER
	RET
