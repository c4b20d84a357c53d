//go:build !purego

#include "textflag.h"

// The AVX-512 bodies of codes.go: 16 codes per step, the codes read as
// little-endian 16-bit (1-bit codes) or 32-bit (2-bit codes) chunks of the
// words, so code i of a block is bits [i·k, (i+1)·k) of its chunk.

// func lookup1AVX512(blocks int, dst *float32, codes *uint64, tab *CodeTable)
//
//	dst[i] = tab[bit i]: tab[0] everywhere, tab[1] merged in under the mask.
TEXT ·lookup1AVX512(SB), NOSPLIT, $0-32
	MOVQ blocks+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ codes+16(FP), SI
	MOVQ tab+24(FP), AX
	VBROADCASTSS 0(AX), Z0
	VBROADCASTSS 4(AX), Z1
	TESTQ CX, CX
	JEQ l1done
l1loop:
	KMOVW (SI), K1
	VMOVAPS Z0, Z2
	VMOVAPS Z1, K1, Z2
	VMOVUPS Z2, (DI)
	ADDQ $2, SI
	ADDQ $64, DI
	DECQ CX
	JNZ l1loop
l1done:
	VZEROUPPER
	RET

// lane2 is the bit offset of each lane's 2-bit code in a 32-bit chunk.
DATA lane2<>+0(SB)/4, $0
DATA lane2<>+4(SB)/4, $2
DATA lane2<>+8(SB)/4, $4
DATA lane2<>+12(SB)/4, $6
DATA lane2<>+16(SB)/4, $8
DATA lane2<>+20(SB)/4, $10
DATA lane2<>+24(SB)/4, $12
DATA lane2<>+28(SB)/4, $14
DATA lane2<>+32(SB)/4, $16
DATA lane2<>+36(SB)/4, $18
DATA lane2<>+40(SB)/4, $20
DATA lane2<>+44(SB)/4, $22
DATA lane2<>+48(SB)/4, $24
DATA lane2<>+52(SB)/4, $26
DATA lane2<>+56(SB)/4, $28
DATA lane2<>+60(SB)/4, $30
GLOBL lane2<>(SB), RODATA|NOPTR, $64

// func lookup2AVX512(blocks int, dst *float32, codes *uint64, tab *CodeTable, inactive *float32)
//
//	c = chunk >> 2i & 3; dst[i] = tab[c] (a permute of tab's first 16
//	entries); with inactive, inactive[i] = 0 where c&1 == 0.
TEXT ·lookup2AVX512(SB), NOSPLIT, $0-40
	MOVQ blocks+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ codes+16(FP), SI
	MOVQ tab+24(FP), AX
	MOVQ inactive+32(FP), R8
	VMOVUPS 0(AX), Z0
	VMOVDQU32 lane2<>(SB), Z1
	MOVL $3, AX
	VPBROADCASTD AX, Z2
	MOVL $1, AX
	VPBROADCASTD AX, Z3
	TESTQ CX, CX
	JEQ l2done
	TESTQ R8, R8
	JNE l2mloop
l2loop:
	VPBROADCASTD (SI), Z4
	VPSRLVD Z1, Z4, Z4
	VPANDD Z2, Z4, Z4
	VPERMPS Z0, Z4, Z5
	VMOVUPS Z5, (DI)
	ADDQ $4, SI
	ADDQ $64, DI
	DECQ CX
	JNZ l2loop
	JMP l2done
l2mloop:
	VPBROADCASTD (SI), Z4
	VPSRLVD Z1, Z4, Z4
	VPANDD Z2, Z4, Z4
	VPERMPS Z0, Z4, Z5
	VMOVUPS Z5, (DI)
	VPTESTMD Z3, Z4, K1
	VMOVUPS.Z (R8), K1, Z6
	VMOVUPS Z6, (R8)
	ADDQ $4, SI
	ADDQ $64, DI
	ADDQ $64, R8
	DECQ CX
	JNZ l2mloop
l2done:
	VZEROUPPER
	RET
