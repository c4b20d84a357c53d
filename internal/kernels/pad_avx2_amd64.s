//go:build !purego

#include "textflag.h"

// func copyRowsAVX2(rows, n int, src *float32, sstride int, dst *float32, dstride int, gap int)
//
//	for r < rows: copy(dst[r·dstride:][:n], src[r·sstride:][:n])
//	              and, but after the last row, clear(dst[r·dstride+n:][:gap])
//
// Whole blocks of 8 move through YMM registers; a row's last n mod 8
// elements and the gap's zeros are scalar moves, which on AMD's cores
// beat VMASKMOVPS stores (microcoded there) several times over.
TEXT ·copyRowsAVX2(SB), NOSPLIT, $0-56
	MOVQ n+8(FP), DX
	MOVQ DX, BX
	SHRQ $3, BX
	ANDQ $7, DX
	MOVQ gap+48(FP), R14
	MOVQ n+8(FP), R13
	SHLQ $2, R13
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
	VMOVUPS (R11), Y0
	VMOVUPS Y0, (R12)
	ADDQ $32, R11
	ADDQ $32, R12
	DECQ CX
	JNZ cloop
ctail:
	MOVQ DX, CX
	TESTQ CX, CX
	JEQ cnext
ctloop:
	MOVL (R11), AX
	MOVL AX, (R12)
	ADDQ $4, R11
	ADDQ $4, R12
	DECQ CX
	JNZ ctloop
cnext:
	CMPQ R10, $1
	JEQ clast
	MOVQ R14, CX
	TESTQ CX, CX
	JEQ clast
cgap:
	MOVL $0, (R12)
	ADDQ $4, R12
	DECQ CX
	JNZ cgap
clast:
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ R10
	JNZ crow
cdone:
	VZEROUPPER
	RET
