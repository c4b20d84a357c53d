//go:build !purego

#include "textflag.h"

// The AVX-512 bodies of sums.go. A block is 16 float32 elements: elements
// 0–7 widen into the low eight float64 lanes (Z2/Z4), 8–15 into the high
// eight (Z3/Z5), the lane layout of laneSums.

// loadLanes and storeLanes move the laneSums at (DI) to and from Z2–Z5:
// the first quantity's 16 lanes in Z2/Z3, the second's in Z4/Z5.
#define loadLanes \
	VMOVUPD 0(DI), Z2; \
	VMOVUPD 64(DI), Z3; \
	VMOVUPD 128(DI), Z4; \
	VMOVUPD 192(DI), Z5

#define storeLanes \
	VMOVUPD Z2, 0(DI); \
	VMOVUPD Z3, 64(DI); \
	VMOVUPD Z4, 128(DI); \
	VMOVUPD Z5, 192(DI)

// func momentsAVX512(blocks int, acc *laneSums, x *float32, shift float64)
//
//	d = float64(x[j]) − shift; acc[0][j%16] += d; acc[1][j%16] += d·d (fused)
TEXT ·momentsAVX512(SB), NOSPLIT, $0-32
	MOVQ blocks+0(FP), CX
	MOVQ acc+8(FP), DI
	MOVQ x+16(FP), SI
	VBROADCASTSD shift+24(FP), Z8
	loadLanes
mloop:
	VCVTPS2PD 0(SI), Z0
	VCVTPS2PD 32(SI), Z1
	VSUBPD Z8, Z0, Z0
	VSUBPD Z8, Z1, Z1
	VADDPD Z0, Z2, Z2
	VADDPD Z1, Z3, Z3
	VFMADD231PD Z0, Z0, Z4
	VFMADD231PD Z1, Z1, Z5
	ADDQ $64, SI
	DECQ CX
	JNZ mloop
	storeLanes
	VZEROUPPER
	RET

// func crossAVX512(blocks int, acc *laneSums, grad, x *float32, shift float64)
//
//	acc[0][j%16] += float64(g[j]); acc[1][j%16] += float64(g[j])·(float64(x[j]) − shift) (fused)
TEXT ·crossAVX512(SB), NOSPLIT, $0-40
	MOVQ blocks+0(FP), CX
	MOVQ acc+8(FP), DI
	MOVQ grad+16(FP), SI
	MOVQ x+24(FP), DX
	VBROADCASTSD shift+32(FP), Z8
	loadLanes
cloop:
	VCVTPS2PD 0(SI), Z0
	VCVTPS2PD 32(SI), Z1
	VCVTPS2PD 0(DX), Z6
	VCVTPS2PD 32(DX), Z7
	VSUBPD Z8, Z6, Z6
	VSUBPD Z8, Z7, Z7
	VADDPD Z0, Z2, Z2
	VADDPD Z1, Z3, Z3
	VFMADD231PD Z6, Z0, Z4
	VFMADD231PD Z7, Z1, Z5
	ADDQ $64, SI
	ADDQ $64, DX
	DECQ CX
	JNZ cloop
	storeLanes
	VZEROUPPER
	RET

// func combineAVX512(n int, dst, grad, x *float32, a, b, c float32)
//
//	dst[i] = a·g[i] + b·x[i] + c   (two products, then two adds: no FMA)
//
// All n elements: the last n mod 16 through a mask.
TEXT ·combineAVX512(SB), NOSPLIT, $0-44
	MOVQ n+0(FP), CX
	MOVQ CX, R8
	SHRQ $4, CX
	ANDQ $15, R8
	MOVQ dst+8(FP), DI
	MOVQ grad+16(FP), SI
	MOVQ x+24(FP), DX
	VBROADCASTSS a+32(FP), Z8
	VBROADCASTSS b+36(FP), Z9
	VBROADCASTSS c+40(FP), Z10
	TESTQ CX, CX
	JEQ ktail
kloop:
	VMULPS 0(SI), Z8, Z0
	VMULPS 0(DX), Z9, Z1
	VADDPS Z1, Z0, Z0
	VADDPS Z10, Z0, Z0
	VMOVUPS Z0, 0(DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	DECQ CX
	JNZ kloop
ktail:
	TESTQ R8, R8
	JEQ kdone
	MOVL $1, AX
	MOVQ R8, CX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	VMOVUPS.Z 0(SI), K1, Z0
	VMOVUPS.Z 0(DX), K1, Z1
	VMULPS Z0, Z8, Z0
	VMULPS Z1, Z9, Z1
	VADDPS Z1, Z0, Z0
	VADDPS Z10, Z0, Z0
	VMOVUPS Z0, K1, 0(DI)
kdone:
	VZEROUPPER
	RET

// func minMaxAVX512(blocks int, acc *[2][16]float32, x *float32)
//
// MINPS/MAXPS return their second (Intel) source when the values are equal
// or either is NaN, so with the running extreme there an element replaces
// it only when strictly smaller (greater), as the Go loop does.
TEXT ·minMaxAVX512(SB), NOSPLIT, $0-24
	MOVQ blocks+0(FP), CX
	MOVQ acc+8(FP), DI
	MOVQ x+16(FP), SI
	VMOVUPS 0(DI), Z0
	VMOVUPS 64(DI), Z1
xloop:
	VMOVUPS (SI), Z2
	VMINPS Z0, Z2, Z0
	VMAXPS Z1, Z2, Z1
	ADDQ $64, SI
	DECQ CX
	JNZ xloop
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 64(DI)
	VZEROUPPER
	RET
