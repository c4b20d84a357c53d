//go:build !purego

#include "textflag.h"

// The AVX2 bodies of elementwise.go, for CPUs without AVX-512. Each takes
// whole blocks of 8 elements (the Go loop does the rest) except
// scaleAddRows, which finishes each row's tail itself.

// laneBits8 is bit l in lane l: a mask byte broadcast to every lane and
// compared against it gives each lane its bit.
DATA laneBits8<>+0(SB)/4, $1
DATA laneBits8<>+4(SB)/4, $2
DATA laneBits8<>+8(SB)/4, $4
DATA laneBits8<>+12(SB)/4, $8
DATA laneBits8<>+16(SB)/4, $16
DATA laneBits8<>+20(SB)/4, $32
DATA laneBits8<>+24(SB)/4, $64
DATA laneBits8<>+28(SB)/4, $128
GLOBL laneBits8<>(SB), RODATA|NOPTR, $32

// func addIntoAVX2(blocks int, dst, src *float32)
TEXT ·addIntoAVX2(SB), NOSPLIT, $0-24
	MOVQ blocks+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
aloop:
	VMOVUPS (DI), Y0
	VADDPS (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ aloop
	VZEROUPPER
	RET

// func reluAVX2(blocks int, dst, src *float32)
//
// VMAXPS returns its second (Intel) source when either is NaN or both are
// zero, so max(0, v) keeps a NaN v and a −0 v, as the Go loop does.
TEXT ·reluAVX2(SB), NOSPLIT, $0-24
	MOVQ blocks+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	VXORPS Y8, Y8, Y8
rloop:
	VMAXPS (SI), Y8, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ rloop
	VZEROUPPER
	RET

// func zeroOutsideAVX2(blocks int, dy, ref *float32, lo, hi float32)
//
// Ordered compares are false on NaN, so a NaN ref zeroes dy; the kept
// lanes pass through an AND with all ones, bit for bit.
TEXT ·zeroOutsideAVX2(SB), NOSPLIT, $0-32
	MOVQ blocks+0(FP), CX
	MOVQ dy+8(FP), DI
	MOVQ ref+16(FP), SI
	VBROADCASTSS lo+24(FP), Y8
	VBROADCASTSS hi+28(FP), Y9
zloop:
	VMOVUPS (SI), Y1
	VCMPPS $0x1e, Y8, Y1, Y2
	VCMPPS $0x11, Y9, Y1, Y3
	VANDPS Y3, Y2, Y2
	VANDPS (DI), Y2, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ zloop
	VZEROUPPER
	RET

// func maxIntoAVX2(blocks int, dst, src *float32)
//
//	dst[i] = max(dst[i], src[i]), NaN when either is NaN
//
// VMAXPS returns its second (Intel) source when either is NaN, which
// keeps a NaN src; a NaN dst is blended back through the unordered mask.
TEXT ·maxIntoAVX2(SB), NOSPLIT, $0-24
	MOVQ blocks+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
mloop:
	VMOVUPS (DI), Y0
	VMAXPS (SI), Y0, Y1
	VCMPPS $3, Y0, Y0, Y2
	VBLENDVPS Y2, Y0, Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ mloop
	VZEROUPPER
	RET

// func scaleAddRowsAVX2(rows, n int, src *float32, sstride int, s, b float32, dst *float32, dstride int, floor float32)
//
//	for r < rows, i < n: dst[r·dstride+i] = max(floor, s·src[r·sstride+i] + b)
//
// A multiply, then an add (no FMA), then VMAXPS with floor as its first
// source, so NaN and −0 pass. A row's last n mod 8 elements take the same
// steps one at a time (scalar stores: AMD's cores microcode VMASKMOVPS
// stores).
TEXT ·scaleAddRowsAVX2(SB), NOSPLIT, $0-60
	MOVQ n+8(FP), DX
	MOVQ DX, BX
	ANDQ $7, BX
	SHRQ $3, DX
	MOVQ rows+0(FP), R8
	MOVQ src+16(FP), SI
	MOVQ sstride+24(FP), R9
	SHLQ $2, R9
	VBROADCASTSS s+32(FP), Y9
	VBROADCASTSS b+36(FP), Y10
	MOVQ dst+40(FP), DI
	MOVQ dstride+48(FP), R12
	SHLQ $2, R12
	VBROADCASTSS floor+56(FP), Y11
srow:
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ DX, CX
	TESTQ CX, CX
	JEQ stail
sloop:
	VMULPS (R10), Y9, Y0
	VADDPS Y10, Y0, Y0
	VMAXPS Y0, Y11, Y0
	VMOVUPS Y0, (R11)
	ADDQ $32, R10
	ADDQ $32, R11
	DECQ CX
	JNZ sloop
stail:
	MOVQ BX, CX
	TESTQ CX, CX
	JEQ snext
stloop:
	VMOVSS (R10), X0
	VMULSS X9, X0, X0
	VADDSS X10, X0, X0
	VMAXSS X0, X11, X0
	VMOVSS X0, (R11)
	ADDQ $4, R10
	ADDQ $4, R11
	DECQ CX
	JNZ stloop
snext:
	ADDQ R9, SI
	ADDQ R12, DI
	DECQ R8
	JNZ srow
	VZEROUPPER
	RET

// func maskInRangeAVX2(words int, mask *uint64, x *float32, lo, hi float32)
//
// 64 elements per word: each 8 give an 8-bit compare mask (VMOVMSKPS),
// stored byte by byte, least significant first.
TEXT ·maskInRangeAVX2(SB), NOSPLIT, $0-32
	MOVQ words+0(FP), CX
	MOVQ mask+8(FP), DI
	MOVQ x+16(FP), SI
	VBROADCASTSS lo+24(FP), Y8
	VBROADCASTSS hi+28(FP), Y9
	SHLQ $3, CX
kloop:
	VMOVUPS (SI), Y0
	VCMPPS $0x1e, Y8, Y0, Y1
	VCMPPS $0x11, Y9, Y0, Y2
	VANDPS Y2, Y1, Y1
	VMOVMSKPS Y1, AX
	MOVB AX, (DI)
	ADDQ $32, SI
	INCQ DI
	DECQ CX
	JNZ kloop
	VZEROUPPER
	RET

// func zeroUnmaskedAVX2(words int, dy *float32, mask *uint64)
//
// 64 elements per word: each 8 are kept where their mask byte's bits are
// set (the byte broadcast, ANDed with laneBits8 and compared with it).
TEXT ·zeroUnmaskedAVX2(SB), NOSPLIT, $0-24
	MOVQ words+0(FP), CX
	MOVQ dy+8(FP), DI
	MOVQ mask+16(FP), SI
	VMOVDQU laneBits8<>(SB), Y8
	SHLQ $3, CX
uloop:
	MOVBLZX (SI), AX
	VMOVD AX, X1
	VPBROADCASTD X1, Y1
	VPAND Y8, Y1, Y1
	VPCMPEQD Y8, Y1, Y1
	VANDPS (DI), Y1, Y0
	VMOVUPS Y0, (DI)
	INCQ SI
	ADDQ $32, DI
	DECQ CX
	JNZ uloop
	VZEROUPPER
	RET
