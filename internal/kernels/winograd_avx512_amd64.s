//go:build !purego

#include "textflag.h"

// The AVX-512 bodies of the Winograd transforms: the passes across tiles
// (winograd_rows.go has the Go loops that define them) and linRows
// (linrows.go).

DATA ·winoEven+0(SB)/4, $0
DATA ·winoEven+4(SB)/4, $2
DATA ·winoEven+8(SB)/4, $4
DATA ·winoEven+12(SB)/4, $6
DATA ·winoEven+16(SB)/4, $8
DATA ·winoEven+20(SB)/4, $10
DATA ·winoEven+24(SB)/4, $12
DATA ·winoEven+28(SB)/4, $14
DATA ·winoEven+32(SB)/4, $16
DATA ·winoEven+36(SB)/4, $18
DATA ·winoEven+40(SB)/4, $20
DATA ·winoEven+44(SB)/4, $22
DATA ·winoEven+48(SB)/4, $24
DATA ·winoEven+52(SB)/4, $26
DATA ·winoEven+56(SB)/4, $28
DATA ·winoEven+60(SB)/4, $30
GLOBL ·winoEven(SB), RODATA|NOPTR, $64
DATA ·winoOdd+0(SB)/4, $1
DATA ·winoOdd+4(SB)/4, $3
DATA ·winoOdd+8(SB)/4, $5
DATA ·winoOdd+12(SB)/4, $7
DATA ·winoOdd+16(SB)/4, $9
DATA ·winoOdd+20(SB)/4, $11
DATA ·winoOdd+24(SB)/4, $13
DATA ·winoOdd+28(SB)/4, $15
DATA ·winoOdd+32(SB)/4, $17
DATA ·winoOdd+36(SB)/4, $19
DATA ·winoOdd+40(SB)/4, $21
DATA ·winoOdd+44(SB)/4, $23
DATA ·winoOdd+48(SB)/4, $25
DATA ·winoOdd+52(SB)/4, $27
DATA ·winoOdd+56(SB)/4, $29
DATA ·winoOdd+60(SB)/4, $31
GLOBL ·winoOdd(SB), RODATA|NOPTR, $64
DATA ·winoLo+0(SB)/4, $0
DATA ·winoLo+4(SB)/4, $16
DATA ·winoLo+8(SB)/4, $1
DATA ·winoLo+12(SB)/4, $17
DATA ·winoLo+16(SB)/4, $2
DATA ·winoLo+20(SB)/4, $18
DATA ·winoLo+24(SB)/4, $3
DATA ·winoLo+28(SB)/4, $19
DATA ·winoLo+32(SB)/4, $4
DATA ·winoLo+36(SB)/4, $20
DATA ·winoLo+40(SB)/4, $5
DATA ·winoLo+44(SB)/4, $21
DATA ·winoLo+48(SB)/4, $6
DATA ·winoLo+52(SB)/4, $22
DATA ·winoLo+56(SB)/4, $7
DATA ·winoLo+60(SB)/4, $23
GLOBL ·winoLo(SB), RODATA|NOPTR, $64
DATA ·winoHi+0(SB)/4, $8
DATA ·winoHi+4(SB)/4, $24
DATA ·winoHi+8(SB)/4, $9
DATA ·winoHi+12(SB)/4, $25
DATA ·winoHi+16(SB)/4, $10
DATA ·winoHi+20(SB)/4, $26
DATA ·winoHi+24(SB)/4, $11
DATA ·winoHi+28(SB)/4, $27
DATA ·winoHi+32(SB)/4, $12
DATA ·winoHi+36(SB)/4, $28
DATA ·winoHi+40(SB)/4, $13
DATA ·winoHi+44(SB)/4, $29
DATA ·winoHi+48(SB)/4, $14
DATA ·winoHi+52(SB)/4, $30
DATA ·winoHi+56(SB)/4, $15
DATA ·winoHi+60(SB)/4, $31
GLOBL ·winoHi(SB), RODATA|NOPTR, $64
DATA ·winoPairLo+0(SB)/4, $0
DATA ·winoPairLo+4(SB)/4, $1
DATA ·winoPairLo+8(SB)/4, $16
DATA ·winoPairLo+12(SB)/4, $17
DATA ·winoPairLo+16(SB)/4, $2
DATA ·winoPairLo+20(SB)/4, $3
DATA ·winoPairLo+24(SB)/4, $18
DATA ·winoPairLo+28(SB)/4, $19
DATA ·winoPairLo+32(SB)/4, $4
DATA ·winoPairLo+36(SB)/4, $5
DATA ·winoPairLo+40(SB)/4, $20
DATA ·winoPairLo+44(SB)/4, $21
DATA ·winoPairLo+48(SB)/4, $6
DATA ·winoPairLo+52(SB)/4, $7
DATA ·winoPairLo+56(SB)/4, $22
DATA ·winoPairLo+60(SB)/4, $23
GLOBL ·winoPairLo(SB), RODATA|NOPTR, $64
DATA ·winoPairHi+0(SB)/4, $8
DATA ·winoPairHi+4(SB)/4, $9
DATA ·winoPairHi+8(SB)/4, $24
DATA ·winoPairHi+12(SB)/4, $25
DATA ·winoPairHi+16(SB)/4, $10
DATA ·winoPairHi+20(SB)/4, $11
DATA ·winoPairHi+24(SB)/4, $26
DATA ·winoPairHi+28(SB)/4, $27
DATA ·winoPairHi+32(SB)/4, $12
DATA ·winoPairHi+36(SB)/4, $13
DATA ·winoPairHi+40(SB)/4, $28
DATA ·winoPairHi+44(SB)/4, $29
DATA ·winoPairHi+48(SB)/4, $14
DATA ·winoPairHi+52(SB)/4, $15
DATA ·winoPairHi+56(SB)/4, $30
DATA ·winoPairHi+60(SB)/4, $31
GLOBL ·winoPairHi(SB), RODATA|NOPTR, $64

// splitPhases deinterleaves the 64 floats in Z0..Z3 by 4 (Z30, Z31: the
// even and odd indexes): Z4..Z7 = floats 4t, 4t+1, 4t+2, 4t+3 (t < 16).
// Z8..Z11 hold the halfway even and odd splits.
#define splitPhases \
	VMOVAPS Z0, Z8; VPERMT2PS Z1, Z30, Z8; \
	VMOVAPS Z0, Z9; VPERMT2PS Z1, Z31, Z9; \
	VMOVAPS Z2, Z10; VPERMT2PS Z3, Z30, Z10; \
	VMOVAPS Z2, Z11; VPERMT2PS Z3, Z31, Z11; \
	VMOVAPS Z8, Z4; VPERMT2PS Z10, Z30, Z4; \
	VMOVAPS Z9, Z5; VPERMT2PS Z11, Z30, Z5; \
	VMOVAPS Z8, Z6; VPERMT2PS Z10, Z31, Z6; \
	VMOVAPS Z9, Z7; VPERMT2PS Z11, Z31, Z7

// blockMasks sets K2 to the tiles of the block that are kept (the block
// mask at phase R15 in the table at R14, and'ed with the tail mask K1),
// K3 to as many low lanes as K2 has bits, BX to that count, and moves the
// phase on by 16 tiles modulo the segment DX (R15 stays 0 when DX is 0).
// Clobbers AX.
#define blockMasks \
	MOVWLZX (R14)(R15*2), AX; \
	KMOVW AX, K2; \
	KANDW K1, K2, K2; \
	KMOVW K2, AX; \
	POPCNTL AX, BX; \
	MOVL $1, AX; \
	SHLXL BX, AX, AX; \
	DECL AX; \
	KMOVW AX, K3; \
	TESTQ DX, DX; \
	JEQ 6(PC); \
	ADDQ $16, R15; \
	CMPQ R15, DX; \
	JLT 3(PC); \
	SUBQ DX, R15; \
	JMP -3(PC)

// func winoSplitAVX512(n, k, m int, coef, src *float32, sstride int, dst *float32, dstride int, masks *uint16, seg int)
//
// For six rows i and tiles t < n, with d_c = src[i·sstride + 4t + c]
// (c < k, k 4 or 6): dst[(i·m+j)·dstride + t'] = Σ_c coef[j·k+c]·d_c,
// t' = t − ⌊t/seg⌋ with the tiles t ≡ seg−1 (mod seg) dropped (seg 0:
// none, t' = t). masks[ph] has bit l set when tile ph+l is kept. 16 tiles
// a block, the kept ones compressed together; a row's last block reads
// 64·blocks + 4 floats.
TEXT ·winoSplitAVX512(SB), NOSPLIT, $0-80
	MOVQ dstride+56(FP), R13
	SHLQ $2, R13
	MOVQ masks+64(FP), R14
	MOVQ seg+72(FP), DX
	VMOVUPS ·winoEven(SB), Z30
	VMOVUPS ·winoOdd(SB), Z31
	XORQ R8, R8
srow:
	CMPQ R8, $6
	JGE sdone
	MOVQ sstride+40(FP), AX
	IMULQ R8, AX
	MOVQ src+32(FP), SI
	LEAQ (SI)(AX*4), SI
	MOVQ m+16(FP), AX
	IMULQ R8, AX
	IMULQ R13, AX
	MOVQ dst+48(FP), DI
	ADDQ AX, DI
	MOVQ n+0(FP), CX
	XORQ R9, R9  // tile of the block
	XORQ R10, R10 // kept tiles before it
	XORQ R15, R15 // its phase in the segment
sblock:
	TESTQ CX, CX
	JLE snext
	MOVL $0xffff, AX
	CMPQ CX, $16
	JGE sfull
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
sfull:
	KMOVW AX, K1
	blockMasks
	MOVQ R9, R11
	SHLQ $4, R11
	ADDQ SI, R11
	VMOVUPS (R11), Z0
	VMOVUPS 64(R11), Z1
	VMOVUPS 128(R11), Z2
	VMOVUPS 192(R11), Z3
	splitPhases
	CMPQ k+8(FP), $6
	JNE sfour
	VMOVAPS Z4, Z20
	VMOVAPS Z5, Z21
	VMOVAPS Z6, Z22
	VMOVAPS Z7, Z23
	VMOVUPS 16(R11), Z0
	VMOVUPS 80(R11), Z1
	VMOVUPS 144(R11), Z2
	VMOVUPS 208(R11), Z3
	splitPhases
	VMOVAPS Z4, Z24
	VMOVAPS Z5, Z25
	VMOVAPS Z20, Z4
	VMOVAPS Z21, Z5
	VMOVAPS Z22, Z6
	VMOVAPS Z23, Z7
sfour:
	MOVQ coef+24(FP), R11
	LEAQ (DI)(R10*4), R12
	MOVQ m+16(FP), AX
sout:
	VMULPS.BCST (R11), Z4, Z14
	VFMADD231PS.BCST 4(R11), Z5, Z14
	VFMADD231PS.BCST 8(R11), Z6, Z14
	VFMADD231PS.BCST 12(R11), Z7, Z14
	ADDQ $16, R11
	CMPQ k+8(FP), $6
	JNE sstore
	VFMADD231PS.BCST (R11), Z24, Z14
	VFMADD231PS.BCST 4(R11), Z25, Z14
	ADDQ $8, R11
sstore:
	VCOMPRESSPS Z14, K2, Z15
	VMOVUPS Z15, K3, (R12)
	ADDQ R13, R12
	DECQ AX
	JNZ sout
	ADDQ BX, R10
	ADDQ $16, R9
	SUBQ $16, CX
	JMP sblock
snext:
	INCQ R8
	JMP srow
sdone:
	VZEROUPPER
	RET

// func winoMergeAVX512(n int, coef, src *float32, pstride int, dst *float32, dstride int, masks *uint16, seg int)
//
// For six rows i and tiles t < n, with m_c = src[(6i+c)·pstride + t']
// (c < 6; t' and the dropped tiles as in winoSplitAVX512, whose m_c are 0):
// dst[i·dstride + 4t + j] = Σ_c coef[j·6+c]·m_c (j < 4), the four results
// of a tile interleaved. 16 tiles a block; a row's last block writes all
// its 64 floats (zero-weighted lanes past n).
TEXT ·winoMergeAVX512(SB), NOSPLIT, $0-64
	MOVQ pstride+24(FP), R13
	SHLQ $2, R13
	MOVQ masks+48(FP), R14
	MOVQ seg+56(FP), DX
	VMOVUPS ·winoLo(SB), Z26
	VMOVUPS ·winoHi(SB), Z27
	VMOVUPS ·winoPairLo(SB), Z28
	VMOVUPS ·winoPairHi(SB), Z29
	XORQ R8, R8
mrow:
	CMPQ R8, $6
	JGE mdone
	MOVQ R13, AX
	IMULQ $6, AX
	IMULQ R8, AX
	MOVQ src+16(FP), SI
	ADDQ AX, SI
	MOVQ dstride+40(FP), AX
	IMULQ R8, AX
	MOVQ dst+32(FP), DI
	LEAQ (DI)(AX*4), DI
	MOVQ n+0(FP), CX
	XORQ R9, R9
	XORQ R10, R10
	XORQ R15, R15
mblock:
	TESTQ CX, CX
	JLE mnext
	MOVL $0xffff, AX
	CMPQ CX, $16
	JGE mfull
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
mfull:
	KMOVW AX, K1
	blockMasks
	LEAQ (SI)(R10*4), R11
	VMOVUPS.Z (R11), K3, Z6
	VEXPANDPS.Z Z6, K2, Z0
	ADDQ R13, R11
	VMOVUPS.Z (R11), K3, Z6
	VEXPANDPS.Z Z6, K2, Z1
	ADDQ R13, R11
	VMOVUPS.Z (R11), K3, Z6
	VEXPANDPS.Z Z6, K2, Z2
	ADDQ R13, R11
	VMOVUPS.Z (R11), K3, Z6
	VEXPANDPS.Z Z6, K2, Z3
	ADDQ R13, R11
	VMOVUPS.Z (R11), K3, Z6
	VEXPANDPS.Z Z6, K2, Z4
	ADDQ R13, R11
	VMOVUPS.Z (R11), K3, Z6
	VEXPANDPS.Z Z6, K2, Z5
	MOVQ coef+8(FP), R11
	// Z8..Z11 = the four results
	VMULPS.BCST (R11), Z0, Z8
	VFMADD231PS.BCST 4(R11), Z1, Z8
	VFMADD231PS.BCST 8(R11), Z2, Z8
	VFMADD231PS.BCST 12(R11), Z3, Z8
	VFMADD231PS.BCST 16(R11), Z4, Z8
	VFMADD231PS.BCST 20(R11), Z5, Z8
	VMULPS.BCST 24(R11), Z0, Z9
	VFMADD231PS.BCST 28(R11), Z1, Z9
	VFMADD231PS.BCST 32(R11), Z2, Z9
	VFMADD231PS.BCST 36(R11), Z3, Z9
	VFMADD231PS.BCST 40(R11), Z4, Z9
	VFMADD231PS.BCST 44(R11), Z5, Z9
	VMULPS.BCST 48(R11), Z0, Z10
	VFMADD231PS.BCST 52(R11), Z1, Z10
	VFMADD231PS.BCST 56(R11), Z2, Z10
	VFMADD231PS.BCST 60(R11), Z3, Z10
	VFMADD231PS.BCST 64(R11), Z4, Z10
	VFMADD231PS.BCST 68(R11), Z5, Z10
	VMULPS.BCST 72(R11), Z0, Z11
	VFMADD231PS.BCST 76(R11), Z1, Z11
	VFMADD231PS.BCST 80(R11), Z2, Z11
	VFMADD231PS.BCST 84(R11), Z3, Z11
	VFMADD231PS.BCST 88(R11), Z4, Z11
	VFMADD231PS.BCST 92(R11), Z5, Z11
	// interleave by 4: tiles 0-3, 4-7, 8-11, 12-15
	VMOVAPS Z8, Z12
	VPERMT2PS Z9, Z26, Z12
	VMOVAPS Z8, Z13
	VPERMT2PS Z9, Z27, Z13
	VMOVAPS Z10, Z14
	VPERMT2PS Z11, Z26, Z14
	VMOVAPS Z10, Z15
	VPERMT2PS Z11, Z27, Z15
	VMOVAPS Z12, Z16
	VPERMT2PS Z14, Z28, Z16
	VMOVAPS Z12, Z17
	VPERMT2PS Z14, Z29, Z17
	VMOVAPS Z13, Z18
	VPERMT2PS Z15, Z28, Z18
	VMOVAPS Z13, Z19
	VPERMT2PS Z15, Z29, Z19
	MOVQ R9, R11
	SHLQ $4, R11
	ADDQ DI, R11
	VMOVUPS Z16, (R11)
	VMOVUPS Z17, 64(R11)
	VMOVUPS Z18, 128(R11)
	VMOVUPS Z19, 192(R11)
	ADDQ BX, R10
	ADDQ $16, R9
	SUBQ $16, CX
	JMP mblock
mnext:
	INCQ R8
	JMP mrow
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
