//go:build !purego

#include "textflag.h"

// The AVX2 bodies of the Winograd transforms: the passes across tiles
// (winograd_rows.go has the Go loops that define them) and linRows
// (linrows.go). They compute what the AVX-512 bodies compute, in the same
// order (a multiply, then fused multiply-adds), 8 tiles or lanes a vector
// instead of 16, so the two give the same bits.

// winoLaneOnes: 8 lanes of −1 then 8 of 0; the 32 bytes from float 8−r
// are the mask of the r low lanes.
DATA ·winoLaneOnes+0(SB)/8, $-1
DATA ·winoLaneOnes+8(SB)/8, $-1
DATA ·winoLaneOnes+16(SB)/8, $-1
DATA ·winoLaneOnes+24(SB)/8, $-1
DATA ·winoLaneOnes+32(SB)/8, $0
DATA ·winoLaneOnes+40(SB)/8, $0
DATA ·winoLaneOnes+48(SB)/8, $0
DATA ·winoLaneOnes+56(SB)/8, $0
GLOBL ·winoLaneOnes(SB), RODATA|NOPTR, $64

// winoLaneBits: lane l holds 1<<l.
DATA ·winoLaneBits+0(SB)/4, $1
DATA ·winoLaneBits+4(SB)/4, $2
DATA ·winoLaneBits+8(SB)/4, $4
DATA ·winoLaneBits+12(SB)/4, $8
DATA ·winoLaneBits+16(SB)/4, $16
DATA ·winoLaneBits+20(SB)/4, $32
DATA ·winoLaneBits+24(SB)/4, $64
DATA ·winoLaneBits+28(SB)/4, $128
GLOBL ·winoLaneBits(SB), RODATA|NOPTR, $32

// blockMasks8 sets AX to the 8-bit mask of the block's kept tiles (the
// low byte of the block mask at phase R15 in the table at R14, and'ed with
// the tail mask of the CX tiles left), BX to its count, Y14 to the mask of
// the BX low lanes, and moves the phase on by 8 tiles modulo the segment
// DX (R15 stays 0 when DX is 0). Clobbers R11.
#define blockMasks8 \
	MOVWLZX (R14)(R15*2), AX; \
	ANDL $0xff, AX; \
	CMPQ CX, $8; \
	JGE 5(PC); \
	MOVL $1, BX; \
	SHLL CX, BX; \
	DECL BX; \
	ANDL BX, AX; \
	POPCNTL AX, BX; \
	MOVQ $8, R11; \
	SUBQ BX, R11; \
	SHLQ $2, R11; \
	LEAQ ·winoLaneOnes(SB), R12; \
	VMOVUPS (R12)(R11*1), Y14; \
	TESTQ DX, DX; \
	JEQ 6(PC); \
	ADDQ $8, R15; \
	CMPQ R15, DX; \
	JLT 3(PC); \
	SUBQ DX, R15; \
	JMP -3(PC)

// transpose4 transposes the 4×4 blocks in each 128-bit half of Y0..Y3
// (rows) into Y4..Y7 (columns); clobbers Y8..Y11.
#define transpose4 \
	VUNPCKLPS Y1, Y0, Y8; \
	VUNPCKHPS Y1, Y0, Y9; \
	VUNPCKLPS Y3, Y2, Y10; \
	VUNPCKHPS Y3, Y2, Y11; \
	VUNPCKLPD Y10, Y8, Y4; \
	VUNPCKHPD Y10, Y8, Y5; \
	VUNPCKLPD Y11, Y9, Y6; \
	VUNPCKHPD Y11, Y9, Y7

// splitOut computes one transformed row of 8 tiles into Y12 from the
// columns Y4..Y7 (and Y8, Y9 when k is 6) with the coefficients at R11
// (advanced past them), and packs the kept tiles low (VPERMPS by Y13).
#define splitOut \
	VBROADCASTSS (R11), Y15; \
	VMULPS Y15, Y4, Y12; \
	VBROADCASTSS 4(R11), Y15; \
	VFMADD231PS Y15, Y5, Y12; \
	VBROADCASTSS 8(R11), Y15; \
	VFMADD231PS Y15, Y6, Y12; \
	VBROADCASTSS 12(R11), Y15; \
	VFMADD231PS Y15, Y7, Y12; \
	ADDQ $16, R11; \
	CMPQ k+8(FP), $6; \
	JNE 6(PC); \
	VBROADCASTSS (R11), Y15; \
	VFMADD231PS Y15, Y8, Y12; \
	VBROADCASTSS 4(R11), Y15; \
	VFMADD231PS Y15, Y9, Y12; \
	ADDQ $8, R11; \
	VPERMPS Y12, Y13, Y12

// func winoSplitAVX2(n, k, m int, coef, src *float32, sstride int, dst *float32, dstride int, masks *uint16, seg, kept int, perm *int32)
//
// winoSplitAVX512 8 tiles a block: for six rows i and tiles t < n, with
// d_c = src[i·sstride + 4t + c] (c < k, k 4 or 6):
// dst[(i·m+j)·dstride + t'] = Σ_c coef[j·k+c]·d_c, t' = t − ⌊t/seg⌋ with
// the tiles t ≡ seg−1 (mod seg) dropped (seg 0: none, t' = t). The low
// byte of masks[ph] has bit l set when tile ph+l is kept; perm[b] (8
// int32) packs the lanes of mask b low; kept is the count of kept tiles.
// A block stores all 8 lanes while they end within the kept tiles (the
// next block overwrites the lanes past its own), the rest through a mask.
// A row's last block reads 32·blocks + 4 floats.
TEXT ·winoSplitAVX2(SB), NOSPLIT, $0-96
	MOVQ dstride+56(FP), R13
	SHLQ $2, R13
	MOVQ masks+64(FP), R14
	MOVQ seg+72(FP), DX
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
	XORQ R9, R9   // tile of the block
	XORQ R10, R10 // kept tiles before it
	XORQ R15, R15 // its phase in the segment
sblock:
	TESTQ CX, CX
	JLE snext
	blockMasks8
	MOVQ perm+88(FP), R11
	SHLQ $5, AX
	VMOVUPS (R11)(AX*1), Y13
	// Y0..Y3: tiles 0..3 of the block in the low halves, 4..7 in the high.
	MOVQ R9, R11
	SHLQ $4, R11
	ADDQ SI, R11
	VMOVUPS (R11), X0
	VINSERTF128 $1, 64(R11), Y0, Y0
	VMOVUPS 16(R11), X1
	VINSERTF128 $1, 80(R11), Y1, Y1
	VMOVUPS 32(R11), X2
	VINSERTF128 $1, 96(R11), Y2, Y2
	VMOVUPS 48(R11), X3
	VINSERTF128 $1, 112(R11), Y3, Y3
	CMPQ k+8(FP), $6
	JNE sfour
	// columns 4 and 5 are columns 0 and 1 of the next tiles
	VMOVUPS 64(R11), X12
	VINSERTF128 $1, 128(R11), Y12, Y12
	VUNPCKLPS Y2, Y1, Y10
	VUNPCKLPS Y12, Y3, Y11
	VUNPCKLPD Y11, Y10, Y8
	VUNPCKHPD Y11, Y10, Y9
	VMOVAPS Y8, Y12
	VMOVAPS Y9, Y15
	transpose4
	VMOVAPS Y12, Y8
	VMOVAPS Y15, Y9
	JMP sout
sfour:
	transpose4
sout:
	LEAQ 8(R10), AX
	CMPQ AX, kept+80(FP)
	MOVQ coef+24(FP), R11 // (flags kept for the JGT)
	LEAQ (DI)(R10*4), R12
	MOVQ m+16(FP), AX
	JGT smasked
sfull:
	splitOut
	VMOVUPS Y12, (R12)
	ADDQ R13, R12
	DECQ AX
	JNZ sfull
	JMP sadvance
smasked:
	splitOut
	VMASKMOVPS Y12, Y14, (R12)
	ADDQ R13, R12
	DECQ AX
	JNZ smasked
sadvance:
	ADDQ BX, R10
	ADDQ $8, R9
	SUBQ $8, CX
	JMP sblock
snext:
	INCQ R8
	JMP srow
sdone:
	VZEROUPPER
	RET

// func winoMergeAVX2(n int, coef, src *float32, pstride int, dst *float32, dstride int, masks *uint16, seg, kept int, expand *int32)
//
// winoMergeAVX512 8 tiles a block: for six rows i and tiles t < n, with
// m_c = src[(6i+c)·pstride + t'] (c < 6; t' and the dropped tiles as in
// winoSplitAVX2, whose m_c are 0): dst[i·dstride + 4t + j] =
// Σ_c coef[j·6+c]·m_c (j < 4), the four results of a tile interleaved.
// expand[b] (8 int32) spreads the low lanes to the lanes of mask b. A
// block reads whole vectors while they end within the kept tiles, the rest
// through a mask; a row's last block writes all its 32 floats.
TEXT ·winoMergeAVX2(SB), NOSPLIT, $0-80
	MOVQ pstride+24(FP), R13
	SHLQ $2, R13
	MOVQ masks+48(FP), R14
	MOVQ seg+56(FP), DX
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
	blockMasks8
	// Y13: the expanding permutation; Y12: the kept lanes.
	MOVQ expand+72(FP), R11
	MOVQ AX, R12
	SHLQ $5, R12
	VMOVUPS (R11)(R12*1), Y13
	VMOVD AX, X12
	VPBROADCASTD X12, Y12
	VPAND ·winoLaneBits(SB), Y12, Y12
	VPCMPEQD ·winoLaneBits(SB), Y12, Y12
	LEAQ (SI)(R10*4), R11
	LEAQ 8(R10), R12
	CMPQ R12, kept+64(FP)
	JGT mmasked
	VMOVUPS (R11), Y0
	ADDQ R13, R11
	VMOVUPS (R11), Y1
	ADDQ R13, R11
	VMOVUPS (R11), Y2
	ADDQ R13, R11
	VMOVUPS (R11), Y3
	ADDQ R13, R11
	VMOVUPS (R11), Y4
	ADDQ R13, R11
	VMOVUPS (R11), Y5
	JMP mexpand
mmasked:
	VMASKMOVPS (R11), Y14, Y0
	ADDQ R13, R11
	VMASKMOVPS (R11), Y14, Y1
	ADDQ R13, R11
	VMASKMOVPS (R11), Y14, Y2
	ADDQ R13, R11
	VMASKMOVPS (R11), Y14, Y3
	ADDQ R13, R11
	VMASKMOVPS (R11), Y14, Y4
	ADDQ R13, R11
	VMASKMOVPS (R11), Y14, Y5
mexpand:
	VPERMPS Y0, Y13, Y0
	VANDPS Y12, Y0, Y0
	VPERMPS Y1, Y13, Y1
	VANDPS Y12, Y1, Y1
	VPERMPS Y2, Y13, Y2
	VANDPS Y12, Y2, Y2
	VPERMPS Y3, Y13, Y3
	VANDPS Y12, Y3, Y3
	VPERMPS Y4, Y13, Y4
	VANDPS Y12, Y4, Y4
	VPERMPS Y5, Y13, Y5
	VANDPS Y12, Y5, Y5
	MOVQ coef+8(FP), R11
	// Y6..Y9 = the four results
	VBROADCASTSS (R11), Y15
	VMULPS Y15, Y0, Y6
	VBROADCASTSS 4(R11), Y15
	VFMADD231PS Y15, Y1, Y6
	VBROADCASTSS 8(R11), Y15
	VFMADD231PS Y15, Y2, Y6
	VBROADCASTSS 12(R11), Y15
	VFMADD231PS Y15, Y3, Y6
	VBROADCASTSS 16(R11), Y15
	VFMADD231PS Y15, Y4, Y6
	VBROADCASTSS 20(R11), Y15
	VFMADD231PS Y15, Y5, Y6
	VBROADCASTSS 24(R11), Y15
	VMULPS Y15, Y0, Y7
	VBROADCASTSS 28(R11), Y15
	VFMADD231PS Y15, Y1, Y7
	VBROADCASTSS 32(R11), Y15
	VFMADD231PS Y15, Y2, Y7
	VBROADCASTSS 36(R11), Y15
	VFMADD231PS Y15, Y3, Y7
	VBROADCASTSS 40(R11), Y15
	VFMADD231PS Y15, Y4, Y7
	VBROADCASTSS 44(R11), Y15
	VFMADD231PS Y15, Y5, Y7
	VBROADCASTSS 48(R11), Y15
	VMULPS Y15, Y0, Y8
	VBROADCASTSS 52(R11), Y15
	VFMADD231PS Y15, Y1, Y8
	VBROADCASTSS 56(R11), Y15
	VFMADD231PS Y15, Y2, Y8
	VBROADCASTSS 60(R11), Y15
	VFMADD231PS Y15, Y3, Y8
	VBROADCASTSS 64(R11), Y15
	VFMADD231PS Y15, Y4, Y8
	VBROADCASTSS 68(R11), Y15
	VFMADD231PS Y15, Y5, Y8
	VBROADCASTSS 72(R11), Y15
	VMULPS Y15, Y0, Y9
	VBROADCASTSS 76(R11), Y15
	VFMADD231PS Y15, Y1, Y9
	VBROADCASTSS 80(R11), Y15
	VFMADD231PS Y15, Y2, Y9
	VBROADCASTSS 84(R11), Y15
	VFMADD231PS Y15, Y3, Y9
	VBROADCASTSS 88(R11), Y15
	VFMADD231PS Y15, Y4, Y9
	VBROADCASTSS 92(R11), Y15
	VFMADD231PS Y15, Y5, Y9
	// interleave: tile t's four results in Y2..Y5 (low halves tiles 0..3,
	// high halves 4..7), then pairs of tiles into whole vectors
	VUNPCKLPS Y7, Y6, Y10
	VUNPCKHPS Y7, Y6, Y11
	VUNPCKLPS Y9, Y8, Y0
	VUNPCKHPS Y9, Y8, Y1
	VUNPCKLPD Y0, Y10, Y2
	VUNPCKHPD Y0, Y10, Y3
	VUNPCKLPD Y1, Y11, Y4
	VUNPCKHPD Y1, Y11, Y5
	VPERM2F128 $0x20, Y3, Y2, Y6
	VPERM2F128 $0x20, Y5, Y4, Y7
	VPERM2F128 $0x31, Y3, Y2, Y8
	VPERM2F128 $0x31, Y5, Y4, Y9
	MOVQ R9, R11
	SHLQ $4, R11
	ADDQ DI, R11
	VMOVUPS Y6, (R11)
	VMOVUPS Y7, 32(R11)
	VMOVUPS Y8, 64(R11)
	VMOVUPS Y9, 96(R11)
	ADDQ BX, R10
	ADDQ $8, R9
	SUBQ $8, CX
	JMP mblock
mnext:
	INCQ R8
	JMP mrow
mdone:
	VZEROUPPER
	RET

// func linRowsAVX2(n, m, k int, coef, src *float32, soffs *int, dst *float32, doffs *int)
//
//	for l < n, i < m: dst[doffs[i]+l] = Σ_{r<k} coef[i·k+r]·src[soffs[r]+l]
//
// linRowsAVX512 16 lanes at a time (two vectors), then 8, the last n mod 8
// through the mask Y14: the k ≤ 6 source vectors are loaded once, then
// each destination is a multiply and k−1 fused multiply-adds with the
// coefficient broadcast.
TEXT ·linRowsAVX2(SB), NOSPLIT, $0-64
	MOVQ n+0(FP), AX
	MOVQ k+16(FP), R12
	MOVQ src+32(FP), SI
	MOVQ dst+48(FP), DI
	MOVQ soffs+40(FP), R11
lwide:
	// 16 lanes a step while they last: the sources in Y0..Y5 and Y6..Y11,
	// each coefficient broadcast once for both halves.
	CMPQ AX, $16
	JL lblock
	MOVQ (R11), CX
	VMOVUPS (SI)(CX*4), Y0
	VMOVUPS 32(SI)(CX*4), Y6
	CMPQ R12, $1
	JEQ wloaded
	MOVQ 8(R11), CX
	VMOVUPS (SI)(CX*4), Y1
	VMOVUPS 32(SI)(CX*4), Y7
	CMPQ R12, $2
	JEQ wloaded
	MOVQ 16(R11), CX
	VMOVUPS (SI)(CX*4), Y2
	VMOVUPS 32(SI)(CX*4), Y8
	CMPQ R12, $3
	JEQ wloaded
	MOVQ 24(R11), CX
	VMOVUPS (SI)(CX*4), Y3
	VMOVUPS 32(SI)(CX*4), Y9
	CMPQ R12, $4
	JEQ wloaded
	MOVQ 32(R11), CX
	VMOVUPS (SI)(CX*4), Y4
	VMOVUPS 32(SI)(CX*4), Y10
	CMPQ R12, $5
	JEQ wloaded
	MOVQ 40(R11), CX
	VMOVUPS (SI)(CX*4), Y5
	VMOVUPS 32(SI)(CX*4), Y11
wloaded:
	MOVQ coef+24(FP), R8
	MOVQ doffs+56(FP), R9
	MOVQ m+8(FP), R10
wrow:
	VBROADCASTSS (R8), Y15
	VMULPS Y15, Y0, Y12
	VMULPS Y15, Y6, Y13
	CMPQ R12, $1
	JEQ wstore
	VBROADCASTSS 4(R8), Y15
	VFMADD231PS Y15, Y1, Y12
	VFMADD231PS Y15, Y7, Y13
	CMPQ R12, $2
	JEQ wstore
	VBROADCASTSS 8(R8), Y15
	VFMADD231PS Y15, Y2, Y12
	VFMADD231PS Y15, Y8, Y13
	CMPQ R12, $3
	JEQ wstore
	VBROADCASTSS 12(R8), Y15
	VFMADD231PS Y15, Y3, Y12
	VFMADD231PS Y15, Y9, Y13
	CMPQ R12, $4
	JEQ wstore
	VBROADCASTSS 16(R8), Y15
	VFMADD231PS Y15, Y4, Y12
	VFMADD231PS Y15, Y10, Y13
	CMPQ R12, $5
	JEQ wstore
	VBROADCASTSS 20(R8), Y15
	VFMADD231PS Y15, Y5, Y12
	VFMADD231PS Y15, Y11, Y13
wstore:
	LEAQ (R8)(R12*4), R8
	MOVQ (R9), CX
	VMOVUPS Y12, (DI)(CX*4)
	VMOVUPS Y13, 32(DI)(CX*4)
	ADDQ $8, R9
	DECQ R10
	JNZ wrow
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, AX
	JMP lwide
lblock:
	TESTQ AX, AX
	JLE ldone
	CMPQ AX, $8
	JL ltail
	MOVQ (R11), CX
	VMOVUPS (SI)(CX*4), Y0
	CMPQ R12, $1
	JEQ lloaded
	MOVQ 8(R11), CX
	VMOVUPS (SI)(CX*4), Y1
	CMPQ R12, $2
	JEQ lloaded
	MOVQ 16(R11), CX
	VMOVUPS (SI)(CX*4), Y2
	CMPQ R12, $3
	JEQ lloaded
	MOVQ 24(R11), CX
	VMOVUPS (SI)(CX*4), Y3
	CMPQ R12, $4
	JEQ lloaded
	MOVQ 32(R11), CX
	VMOVUPS (SI)(CX*4), Y4
	CMPQ R12, $5
	JEQ lloaded
	MOVQ 40(R11), CX
	VMOVUPS (SI)(CX*4), Y5
lloaded:
	MOVQ coef+24(FP), R8  // coef row i
	MOVQ doffs+56(FP), R9 // &doffs[i]
	MOVQ m+8(FP), R10
lrow:
	VBROADCASTSS (R8), Y15
	VMULPS Y15, Y0, Y8
	CMPQ R12, $1
	JEQ lstore
	VBROADCASTSS 4(R8), Y15
	VFMADD231PS Y15, Y1, Y8
	CMPQ R12, $2
	JEQ lstore
	VBROADCASTSS 8(R8), Y15
	VFMADD231PS Y15, Y2, Y8
	CMPQ R12, $3
	JEQ lstore
	VBROADCASTSS 12(R8), Y15
	VFMADD231PS Y15, Y3, Y8
	CMPQ R12, $4
	JEQ lstore
	VBROADCASTSS 16(R8), Y15
	VFMADD231PS Y15, Y4, Y8
	CMPQ R12, $5
	JEQ lstore
	VBROADCASTSS 20(R8), Y15
	VFMADD231PS Y15, Y5, Y8
lstore:
	LEAQ (R8)(R12*4), R8
	MOVQ (R9), CX
	VMOVUPS Y8, (DI)(CX*4)
	ADDQ $8, R9
	DECQ R10
	JNZ lrow
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, AX
	JMP lblock
ltail:
	// Y14: the AX < 8 low lanes
	MOVQ $8, CX
	SUBQ AX, CX
	LEAQ ·winoLaneOnes(SB), R8
	VMOVUPS (R8)(CX*4), Y14
	MOVQ (R11), CX
	VMASKMOVPS (SI)(CX*4), Y14, Y0
	CMPQ R12, $1
	JEQ ttloaded
	MOVQ 8(R11), CX
	VMASKMOVPS (SI)(CX*4), Y14, Y1
	CMPQ R12, $2
	JEQ ttloaded
	MOVQ 16(R11), CX
	VMASKMOVPS (SI)(CX*4), Y14, Y2
	CMPQ R12, $3
	JEQ ttloaded
	MOVQ 24(R11), CX
	VMASKMOVPS (SI)(CX*4), Y14, Y3
	CMPQ R12, $4
	JEQ ttloaded
	MOVQ 32(R11), CX
	VMASKMOVPS (SI)(CX*4), Y14, Y4
	CMPQ R12, $5
	JEQ ttloaded
	MOVQ 40(R11), CX
	VMASKMOVPS (SI)(CX*4), Y14, Y5
ttloaded:
	MOVQ coef+24(FP), R8
	MOVQ doffs+56(FP), R9
	MOVQ m+8(FP), R10
trow:
	VBROADCASTSS (R8), Y15
	VMULPS Y15, Y0, Y8
	CMPQ R12, $1
	JEQ tstore
	VBROADCASTSS 4(R8), Y15
	VFMADD231PS Y15, Y1, Y8
	CMPQ R12, $2
	JEQ tstore
	VBROADCASTSS 8(R8), Y15
	VFMADD231PS Y15, Y2, Y8
	CMPQ R12, $3
	JEQ tstore
	VBROADCASTSS 12(R8), Y15
	VFMADD231PS Y15, Y3, Y8
	CMPQ R12, $4
	JEQ tstore
	VBROADCASTSS 16(R8), Y15
	VFMADD231PS Y15, Y4, Y8
	CMPQ R12, $5
	JEQ tstore
	VBROADCASTSS 20(R8), Y15
	VFMADD231PS Y15, Y5, Y8
tstore:
	LEAQ (R8)(R12*4), R8
	MOVQ (R9), CX
	VMASKMOVPS Y8, Y14, (DI)(CX*4)
	ADDQ $8, R9
	DECQ R10
	JNZ trow
ldone:
	VZEROUPPER
	RET
