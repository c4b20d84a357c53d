//go:build !purego

#include "textflag.h"

// func dotNT4x2AVX2(steps, nimg int, a *float32, lda, astride int, b *float32, bstride int, offs *int, partial *float32)
//
// A 4×2 tile of lane-wise dot products (the filter gradient of an
// indirect convolution) over nimg images: in image n, row r of A is
// a[n·astride+r·lda:] and tap x of B is the window b[n·bstride+offs[x]:].
// Each of the 8 pairs keeps 8 lane sums in a register, loaded from and
// stored back to partial. It implements dotNTGo(4, 2, 8, ...):
//
//	for r < 4, x < 2, l < 8:
//		s := partial[(r·2+x)·8+l]
//		for n < nimg, i < steps: s += a[n·astride+r·lda+8i+l]·b[n·bstride+offs[x]+8i+l]  (VFMADD231PS)
//		partial[(r·2+x)·8+l] = s
TEXT ·dotNT4x2AVX2(SB), NOSPLIT, $0-72
	MOVQ b+40(FP), AX
	MOVQ offs+56(FP), CX
	MOVQ 0(CX), R8
	LEAQ (AX)(R8*4), R8
	MOVQ 8(CX), R9
	LEAQ (AX)(R9*4), R9
	MOVQ a+16(FP), SI
	MOVQ lda+24(FP), AX
	SHLQ $2, AX
	LEAQ (SI)(AX*1), DI
	LEAQ (DI)(AX*1), BX
	LEAQ (BX)(AX*1), DX
	MOVQ partial+64(FP), AX
	VMOVUPS 0(AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS 64(AX), Y2
	VMOVUPS 96(AX), Y3
	VMOVUPS 128(AX), Y4
	VMOVUPS 160(AX), Y5
	VMOVUPS 192(AX), Y6
	VMOVUPS 224(AX), Y7
	MOVQ steps+0(FP), CX
	TESTQ CX, CX
	JEQ done
	MOVQ nimg+8(FP), CX
	TESTQ CX, CX
	JEQ done
image:
	MOVQ steps+0(FP), CX
	XORQ AX, AX
loop:
	VMOVUPS (SI)(AX*1), Y8
	VMOVUPS (DI)(AX*1), Y9
	VMOVUPS (BX)(AX*1), Y10
	VMOVUPS (DX)(AX*1), Y11
	VMOVUPS (R8)(AX*1), Y12
	VFMADD231PS Y8, Y12, Y0
	VFMADD231PS Y9, Y12, Y2
	VFMADD231PS Y10, Y12, Y4
	VFMADD231PS Y11, Y12, Y6
	VMOVUPS (R9)(AX*1), Y13
	VFMADD231PS Y8, Y13, Y1
	VFMADD231PS Y9, Y13, Y3
	VFMADD231PS Y10, Y13, Y5
	VFMADD231PS Y11, Y13, Y7
	ADDQ $32, AX
	DECQ CX
	JNZ loop
	MOVQ astride+32(FP), AX
	SHLQ $2, AX
	ADDQ AX, SI
	ADDQ AX, DI
	ADDQ AX, BX
	ADDQ AX, DX
	MOVQ bstride+48(FP), AX
	SHLQ $2, AX
	ADDQ AX, R8
	ADDQ AX, R9
	DECQ nimg+8(FP)
	JNZ image
done:
	MOVQ partial+64(FP), AX
	VMOVUPS Y0, 0(AX)
	VMOVUPS Y1, 32(AX)
	VMOVUPS Y2, 64(AX)
	VMOVUPS Y3, 96(AX)
	VMOVUPS Y4, 128(AX)
	VMOVUPS Y5, 160(AX)
	VMOVUPS Y6, 192(AX)
	VMOVUPS Y7, 224(AX)
	VZEROUPPER
	RET
