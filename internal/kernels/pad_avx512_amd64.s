//go:build !purego

#include "textflag.h"

// func deinterleave2AVX512(blocks int, src, even, odd *float32, idx *int32)
//
// Splits 32·blocks floats into their even and odd elements, 16 of each per
// block, with two VPERMI2PS (idx holds the indices 0, 2, …, 30 then 1, 3,
// …, 31). It implements deinterleave2's loop:
//
//	for i < 16·blocks: even[i] = src[2i]; odd[i] = src[2i+1]
TEXT ·deinterleave2AVX512(SB), NOSPLIT, $0-40
	MOVQ blocks+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ even+16(FP), DI
	MOVQ odd+24(FP), DX
	MOVQ idx+32(FP), AX
	VMOVDQU32 (AX), Z4
	VMOVDQU32 64(AX), Z5
	TESTQ CX, CX
	JEQ done
loop:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVDQA32 Z4, Z2
	VMOVDQA32 Z5, Z3
	VPERMI2PS Z1, Z0, Z2
	VPERMI2PS Z1, Z0, Z3
	VMOVUPS Z2, (DI)
	VMOVUPS Z3, (DX)
	ADDQ $128, SI
	ADDQ $64, DI
	ADDQ $64, DX
	DECQ CX
	JNZ loop
done:
	VZEROUPPER
	RET

// func interleave2AVX512(blocks int, first, second, dst *float32, idx *int32)
//
// The inverse of deinterleave2AVX512 (idx holds 0, 16, 1, 17, …, 15, 31):
//
//	for i < 16·blocks: dst[2i] = first[i]; dst[2i+1] = second[i]
TEXT ·interleave2AVX512(SB), NOSPLIT, $0-40
	MOVQ blocks+0(FP), CX
	MOVQ first+8(FP), SI
	MOVQ second+16(FP), DX
	MOVQ dst+24(FP), DI
	MOVQ idx+32(FP), AX
	VMOVDQU32 (AX), Z4
	VMOVDQU32 64(AX), Z5
	TESTQ CX, CX
	JEQ idone
iloop:
	VMOVUPS (SI), Z0
	VMOVUPS (DX), Z1
	VMOVDQA32 Z4, Z2
	VMOVDQA32 Z5, Z3
	VPERMI2PS Z1, Z0, Z2
	VPERMI2PS Z1, Z0, Z3
	VMOVUPS Z2, (DI)
	VMOVUPS Z3, 64(DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $128, DI
	DECQ CX
	JNZ iloop
idone:
	VZEROUPPER
	RET

// func copyRowsAVX512(rows, n int, src *float32, sstride int, dst *float32, dstride int, gap int)
//
//	for r < rows: copy(dst[r·dstride:][:n], src[r·sstride:][:n])   (the last n mod 16 of a row through a mask)
//	              and, but after the last row, clear(dst[r·dstride+n:][:gap])   (gap ≤ 16, through mask K2)
TEXT ·copyRowsAVX512(SB), NOSPLIT, $0-56
	MOVQ gap+48(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K2
	VPXORD Z1, Z1, Z1
	MOVQ n+8(FP), R13
	SHLQ $2, R13
	MOVQ n+8(FP), DX
	MOVQ DX, BX
	SHRQ $4, BX
	ANDQ $15, DX
	MOVL $1, AX
	MOVQ DX, CX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	MOVQ src+16(FP), SI
	MOVQ sstride+24(FP), R8
	SHLQ $2, R8
	MOVQ dst+32(FP), DI
	MOVQ dstride+40(FP), R9
	SHLQ $2, R9
	MOVQ rows+0(FP), R10
	TESTQ R10, R10
	JEQ cdone
crow:
	MOVQ SI, R11
	MOVQ DI, R12
	MOVQ BX, CX
	TESTQ CX, CX
	JEQ ctail
cloop:
	VMOVUPS (R11), Z0
	VMOVUPS Z0, (R12)
	ADDQ $64, R11
	ADDQ $64, R12
	DECQ CX
	JNZ cloop
ctail:
	TESTQ DX, DX
	JEQ cnext
	VMOVUPS.Z (R11), K1, Z0
	VMOVUPS Z0, K1, (R12)
cnext:
	CMPQ R10, $1
	JEQ clast
	VMOVUPS Z1, K2, (DI)(R13*1)
clast:
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ R10
	JNZ crow
cdone:
	VZEROUPPER
	RET
