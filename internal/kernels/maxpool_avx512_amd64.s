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
