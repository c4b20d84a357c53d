//go:build !purego

#include "textflag.h"

// The AVX2 helpers of the int8 path, the AVX-512 ones' twins in ymm
// registers: maxAbs for n rounded down to a multiple of 64, the others for
// n a multiple of 8 (their Go twins in quant.go and epilogue.go, which
// define them, do a row's last n mod 8: AMD's cores microcode VMASKMOV
// stores, which made a masked tail cost more than the rest of a 49-wide
// row).

// func maxAbsBitsAVX2(x *float32, n int) uint32
//
//	m := 0; for i < n: m = max(m, bits(x[i]) &^ sign)
TEXT ·maxAbsBitsAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	SHRQ $6, CX
	MOVL $0x7fffffff, AX
	VMOVQ AX, X8
	VPBROADCASTD X8, Y8
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	TESTQ CX, CX
	JEQ reduce
maxloop:
	VPAND (SI), Y8, Y4
	VPAND 32(SI), Y8, Y5
	VPAND 64(SI), Y8, Y6
	VPAND 96(SI), Y8, Y7
	VPMAXUD Y4, Y0, Y0
	VPMAXUD Y5, Y1, Y1
	VPMAXUD Y6, Y2, Y2
	VPMAXUD Y7, Y3, Y3
	VPAND 128(SI), Y8, Y4
	VPAND 160(SI), Y8, Y5
	VPAND 192(SI), Y8, Y6
	VPAND 224(SI), Y8, Y7
	VPMAXUD Y4, Y0, Y0
	VPMAXUD Y5, Y1, Y1
	VPMAXUD Y6, Y2, Y2
	VPMAXUD Y7, Y3, Y3
	ADDQ $256, SI
	DECQ CX
	JNZ maxloop
reduce:
	VPMAXUD Y1, Y0, Y0
	VPMAXUD Y3, Y2, Y2
	VPMAXUD Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPMAXUD X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VPMAXUD X1, X0, X0
	VPSHUFD $0xb1, X0, X1
	VPMAXUD X1, X0, X0
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// quant4 quantizes Y0..Y3 (channels 0..3) by Y8 and packs their q+128 into
// the bytes of Y0: VCVTPS2DQ rounds to nearest even (the MXCSR default Go
// keeps); clamped to [−127, 127] by Y9, Y10; +128 from Y11.
#define quant4 \
	VMULPS Y8, Y0, Y0; \
	VMULPS Y8, Y1, Y1; \
	VMULPS Y8, Y2, Y2; \
	VMULPS Y8, Y3, Y3; \
	VCVTPS2DQ Y0, Y0; \
	VCVTPS2DQ Y1, Y1; \
	VCVTPS2DQ Y2, Y2; \
	VCVTPS2DQ Y3, Y3; \
	VPMINSD Y9, Y0, Y0; \
	VPMINSD Y9, Y1, Y1; \
	VPMINSD Y9, Y2, Y2; \
	VPMINSD Y9, Y3, Y3; \
	VPMAXSD Y10, Y0, Y0; \
	VPMAXSD Y10, Y1, Y1; \
	VPMAXSD Y10, Y2, Y2; \
	VPMAXSD Y10, Y3, Y3; \
	VPADDD Y11, Y0, Y0; \
	VPADDD Y11, Y1, Y1; \
	VPADDD Y11, Y2, Y2; \
	VPADDD Y11, Y3, Y3; \
	VPSLLD $8, Y1, Y1; \
	VPSLLD $16, Y2, Y2; \
	VPSLLD $24, Y3, Y3; \
	VPOR Y1, Y0, Y0; \
	VPOR Y3, Y2, Y2; \
	VPOR Y2, Y0, Y0

// func quantRows4AVX2(n int, x0, x1, x2, x3 *float32, inv float32, dst *uint32)
//
//	for i < n (a multiple of 8): dst[i] = Σ_c uint32(quantize(xc[i], inv)+128) << 8c
TEXT ·quantRows4AVX2(SB), NOSPLIT, $0-56
	MOVQ n+0(FP), CX
	SHRQ $3, CX
	MOVQ x0+8(FP), R8
	MOVQ x1+16(FP), R9
	MOVQ x2+24(FP), R10
	MOVQ x3+32(FP), R11
	VBROADCASTSS inv+40(FP), Y8
	MOVQ dst+48(FP), DI
	MOVL $127, AX
	VMOVQ AX, X9
	VPBROADCASTD X9, Y9
	MOVL $-127, AX
	VMOVQ AX, X10
	VPBROADCASTD X10, Y10
	MOVL $128, AX
	VMOVQ AX, X11
	VPBROADCASTD X11, Y11
	TESTQ CX, CX
	JEQ qdone
qloop:
	VMOVUPS (R8), Y0
	VMOVUPS (R9), Y1
	VMOVUPS (R10), Y2
	VMOVUPS (R11), Y3
	quant4
	VMOVDQU Y0, (DI)
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, DI
	DECQ CX
	JNZ qloop
qdone:
	VZEROUPPER
	RET

// func dequantRowAVX2(n int, src *int32, corr int32, m, b float32, dst *float32)
//
//	for i < n (a multiple of 8): dst[i] = m·float32(src[i]−corr) + b   (a multiply, then an add: no FMA)
TEXT ·dequantRowAVX2(SB), NOSPLIT, $0-40
	MOVQ n+0(FP), CX
	SHRQ $3, CX
	MOVQ src+8(FP), SI
	VBROADCASTSS corr+16(FP), Y8
	VBROADCASTSS m+20(FP), Y9
	VBROADCASTSS b+24(FP), Y10
	MOVQ dst+32(FP), DI
	TESTQ CX, CX
	JEQ ddone
dloop:
	VMOVDQU (SI), Y0
	VPSUBD Y8, Y0, Y0
	VCVTDQ2PS Y0, Y0
	VMULPS Y9, Y0, Y0
	VADDPS Y10, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ dloop
ddone:
	VZEROUPPER
	RET

// func epilogueRowAVX2(n int, y, add *float32, relu bool)
//
//	for i < n (a multiple of 8): if add != nil { y[i] += add[i] }; if relu { y[i] = max(y[i], 0) }
//
// with Go's max: NaN stays NaN and −0 becomes +0. VMAXPS returns its second
// source when either is NaN or both are zero, so max(0, v) keeps a NaN v
// and a −0 v; adding +0 then turns −0 into +0 and changes nothing else.
TEXT ·epilogueRowAVX2(SB), NOSPLIT, $0-25
	MOVQ n+0(FP), CX
	MOVQ y+8(FP), DI
	MOVQ add+16(FP), SI
	MOVBLZX relu+24(FP), R8
	VXORPS Y8, Y8, Y8
	SHRQ $3, CX
	TESTQ CX, CX
	JEQ edone
eloop:
	VMOVUPS (DI), Y0
	TESTQ SI, SI
	JEQ enoadd
	VADDPS (SI), Y0, Y0
	ADDQ $32, SI
enoadd:
	TESTL R8, R8
	JEQ enorelu
	VMAXPS Y0, Y8, Y0
	VADDPS Y8, Y0, Y0
enorelu:
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	DECQ CX
	JNZ eloop
edone:
	VZEROUPPER
	RET
