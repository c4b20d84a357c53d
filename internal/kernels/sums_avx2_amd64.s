//go:build !purego

#include "textflag.h"

// The AVX2 bodies of sums.go, for CPUs without AVX-512. A block is 16
// float32 elements, the lane layout of laneSums: elements 0–3 widen into
// float64 lanes 0–3 (Y2/Y6), 4–7 into lanes 4–7 (Y3/Y7), 8–11 into
// 8–11 (Y4/Y8), 12–15 into 12–15 (Y5/Y9); the first quantity's lanes
// are Y2–Y5, the second's Y6–Y9.

#define loadLanes4 \
	VMOVUPD 0(DI), Y2; \
	VMOVUPD 32(DI), Y3; \
	VMOVUPD 64(DI), Y4; \
	VMOVUPD 96(DI), Y5; \
	VMOVUPD 128(DI), Y6; \
	VMOVUPD 160(DI), Y7; \
	VMOVUPD 192(DI), Y8; \
	VMOVUPD 224(DI), Y9

#define storeLanes4 \
	VMOVUPD Y2, 0(DI); \
	VMOVUPD Y3, 32(DI); \
	VMOVUPD Y4, 64(DI); \
	VMOVUPD Y5, 96(DI); \
	VMOVUPD Y6, 128(DI); \
	VMOVUPD Y7, 160(DI); \
	VMOVUPD Y8, 192(DI); \
	VMOVUPD Y9, 224(DI)

// moment4 adds the four elements at off(SI), less the shift, into the
// sums S and their squares (fused) into Q.
#define moment4(off, S, Q) \
	VCVTPS2PD off(SI), Y0; \
	VSUBPD Y15, Y0, Y0; \
	VADDPD Y0, S, S; \
	VFMADD231PD Y0, Y0, Q

// func momentsAVX2(blocks int, acc *laneSums, x *float32, shift float64)
//
//	d = float64(x[j]) − shift; acc[0][j%16] += d; acc[1][j%16] += d·d (fused)
TEXT ·momentsAVX2(SB), NOSPLIT, $0-32
	MOVQ blocks+0(FP), CX
	MOVQ acc+8(FP), DI
	MOVQ x+16(FP), SI
	VBROADCASTSD shift+24(FP), Y15
	loadLanes4
mloop:
	moment4(0, Y2, Y6)
	moment4(16, Y3, Y7)
	moment4(32, Y4, Y8)
	moment4(48, Y5, Y9)
	ADDQ $64, SI
	DECQ CX
	JNZ mloop
	storeLanes4
	VZEROUPPER
	RET

// cross4 adds the four gradients at off(SI) into S and each times its
// input at off(DX) less the shift (fused) into P.
#define cross4(off, S, P) \
	VCVTPS2PD off(SI), Y0; \
	VCVTPS2PD off(DX), Y1; \
	VSUBPD Y15, Y1, Y1; \
	VADDPD Y0, S, S; \
	VFMADD231PD Y1, Y0, P

// func crossAVX2(blocks int, acc *laneSums, grad, x *float32, shift float64)
//
//	acc[0][j%16] += float64(g[j]); acc[1][j%16] += float64(g[j])·(float64(x[j]) − shift) (fused)
TEXT ·crossAVX2(SB), NOSPLIT, $0-40
	MOVQ blocks+0(FP), CX
	MOVQ acc+8(FP), DI
	MOVQ grad+16(FP), SI
	MOVQ x+24(FP), DX
	VBROADCASTSD shift+32(FP), Y15
	loadLanes4
cloop:
	cross4(0, Y2, Y6)
	cross4(16, Y3, Y7)
	cross4(32, Y4, Y8)
	cross4(48, Y5, Y9)
	ADDQ $64, SI
	ADDQ $64, DX
	DECQ CX
	JNZ cloop
	storeLanes4
	VZEROUPPER
	RET

// func combineAVX2(blocks int, dst, grad, x *float32, a, b, c float32)
//
//	dst[i] = a·g[i] + b·x[i] + c   (two products, then two adds: no FMA)
TEXT ·combineAVX2(SB), NOSPLIT, $0-44
	MOVQ blocks+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ grad+16(FP), SI
	MOVQ x+24(FP), DX
	VBROADCASTSS a+32(FP), Y8
	VBROADCASTSS b+36(FP), Y9
	VBROADCASTSS c+40(FP), Y10
kloop:
	VMULPS 0(SI), Y8, Y0
	VMULPS 0(DX), Y9, Y1
	VADDPS Y1, Y0, Y0
	VADDPS Y10, Y0, Y0
	VMOVUPS Y0, 0(DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ kloop
	VZEROUPPER
	RET

// func minMaxAVX2(blocks int, acc *[2][16]float32, x *float32)
//
// MINPS/MAXPS return their second (Intel) source when the values are equal
// or either is NaN, so with the running extreme there an element replaces
// it only when strictly smaller (greater), as the Go loop does.
TEXT ·minMaxAVX2(SB), NOSPLIT, $0-24
	MOVQ blocks+0(FP), CX
	MOVQ acc+8(FP), DI
	MOVQ x+16(FP), SI
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
xloop:
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMINPS Y0, Y4, Y0
	VMINPS Y1, Y5, Y1
	VMAXPS Y2, Y4, Y2
	VMAXPS Y3, Y5, Y3
	ADDQ $64, SI
	DECQ CX
	JNZ xloop
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VZEROUPPER
	RET
