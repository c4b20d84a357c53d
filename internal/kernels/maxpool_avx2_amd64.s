//go:build !purego

#include "textflag.h"

// func maxArgStepAVX2(blocks int, best *float32, idx *int32, src *float32, t int32)
//
//	for i < 8·blocks: if src[i] > best[i] { best[i], idx[i] = src[i], t }
//
// The ordered compare (GT_OQ) is false on NaN, as Go's > is; both stores
// are blends of the old values and the new under the compare's lanes.
TEXT ·maxArgStepAVX2(SB), NOSPLIT, $0-36
	MOVQ blocks+0(FP), AX
	MOVQ best+8(FP), DI
	MOVQ idx+16(FP), R8
	MOVQ src+24(FP), SI
	MOVL t+32(FP), BX
	VMOVD BX, X2
	VPBROADCASTD X2, Y2
mloop:
	VMOVUPS (SI), Y0
	VMOVUPS (DI), Y1
	VCMPPS $0x1e, Y1, Y0, Y3
	VBLENDVPS Y3, Y0, Y1, Y1
	VMOVUPS Y1, (DI)
	VMOVDQU (R8), Y4
	VBLENDVPS Y3, Y2, Y4, Y4
	VMOVDQU Y4, (R8)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	DECQ AX
	JNZ mloop
	VZEROUPPER
	RET
