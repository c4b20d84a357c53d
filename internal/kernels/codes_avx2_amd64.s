//go:build !purego

#include "textflag.h"

// The AVX2 bodies of codes.go: a 32-bit chunk of the words per step (32
// 1-bit codes or 16 2-bit codes), broadcast to every lane and shifted so
// that each lane finds its own code where an instruction reads it.

// l1shift moves bit i of a chunk to lane i's sign bit: 31 − i for the 32
// lanes of the four registers.
DATA l1shift<>+0(SB)/8, $0x0000001e0000001f
DATA l1shift<>+8(SB)/8, $0x0000001c0000001d
DATA l1shift<>+16(SB)/8, $0x0000001a0000001b
DATA l1shift<>+24(SB)/8, $0x0000001800000019
DATA l1shift<>+32(SB)/8, $0x0000001600000017
DATA l1shift<>+40(SB)/8, $0x0000001400000015
DATA l1shift<>+48(SB)/8, $0x0000001200000013
DATA l1shift<>+56(SB)/8, $0x0000001000000011
DATA l1shift<>+64(SB)/8, $0x0000000e0000000f
DATA l1shift<>+72(SB)/8, $0x0000000c0000000d
DATA l1shift<>+80(SB)/8, $0x0000000a0000000b
DATA l1shift<>+88(SB)/8, $0x0000000800000009
DATA l1shift<>+96(SB)/8, $0x0000000600000007
DATA l1shift<>+104(SB)/8, $0x0000000400000005
DATA l1shift<>+112(SB)/8, $0x0000000200000003
DATA l1shift<>+120(SB)/8, $0x0000000000000001
GLOBL l1shift<>(SB), RODATA|NOPTR, $128

// l2shift moves code i of a chunk (bits 2i, 2i+1) to lane i's low bits.
DATA l2shift<>+0(SB)/8, $0x0000000200000000
DATA l2shift<>+8(SB)/8, $0x0000000600000004
DATA l2shift<>+16(SB)/8, $0x0000000a00000008
DATA l2shift<>+24(SB)/8, $0x0000000e0000000c
DATA l2shift<>+32(SB)/8, $0x0000001200000010
DATA l2shift<>+40(SB)/8, $0x0000001600000014
DATA l2shift<>+48(SB)/8, $0x0000001a00000018
DATA l2shift<>+56(SB)/8, $0x0000001e0000001c
GLOBL l2shift<>(SB), RODATA|NOPTR, $64

// func lookup1AVX2(chunks int, dst *float32, codes *uint32, tab *CodeTable)
//
//	dst[i] = tab[bit i]: VBLENDVPS picks tab[1] where lane i's sign bit,
//	bit i of the chunk shifted left by 31 − i, is set.
TEXT ·lookup1AVX2(SB), NOSPLIT, $0-32
	MOVQ chunks+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ codes+16(FP), SI
	MOVQ tab+24(FP), AX
	VBROADCASTSS 0(AX), Y0
	VBROADCASTSS 4(AX), Y1
	VMOVDQU l1shift<>+0(SB), Y2
	VMOVDQU l1shift<>+32(SB), Y3
	VMOVDQU l1shift<>+64(SB), Y7
	VMOVDQU l1shift<>+96(SB), Y8
	TESTQ CX, CX
	JEQ l1done
l1loop:
	VPBROADCASTD (SI), Y4
	VPSLLVD Y2, Y4, Y5
	VPSLLVD Y3, Y4, Y6
	VPSLLVD Y7, Y4, Y9
	VPSLLVD Y8, Y4, Y10
	VBLENDVPS Y5, Y1, Y0, Y5
	VBLENDVPS Y6, Y1, Y0, Y6
	VBLENDVPS Y9, Y1, Y0, Y9
	VBLENDVPS Y10, Y1, Y0, Y10
	VMOVUPS Y5, (DI)
	VMOVUPS Y6, 32(DI)
	VMOVUPS Y9, 64(DI)
	VMOVUPS Y10, 96(DI)
	ADDQ $4, SI
	ADDQ $128, DI
	DECQ CX
	JNZ l1loop
l1done:
	VZEROUPPER
	RET

// func lookup2AVX2(chunks int, dst *float32, codes *uint32, tab *CodeTable, inactive *float32)
//
//	c = chunk >> 2i & 3; dst[i] = tab[c] (VPERMILPS reads a lane's low two
//	bits, tab's first 4 entries in both halves); with inactive,
//	inactive[i] = 0 where c&1 == 0 (a blend on c's bit 0 moved to the sign).
TEXT ·lookup2AVX2(SB), NOSPLIT, $0-40
	MOVQ chunks+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ codes+16(FP), SI
	MOVQ tab+24(FP), AX
	MOVQ inactive+32(FP), R8
	VBROADCASTF128 0(AX), Y0
	VMOVDQU l2shift<>+0(SB), Y2
	VMOVDQU l2shift<>+32(SB), Y3
	VXORPS Y1, Y1, Y1
	TESTQ CX, CX
	JEQ l2done
	TESTQ R8, R8
	JNE l2mloop
l2loop:
	VPBROADCASTD (SI), Y4
	VPSRLVD Y2, Y4, Y5
	VPSRLVD Y3, Y4, Y6
	VPERMILPS Y5, Y0, Y5
	VPERMILPS Y6, Y0, Y6
	VMOVUPS Y5, (DI)
	VMOVUPS Y6, 32(DI)
	ADDQ $4, SI
	ADDQ $64, DI
	DECQ CX
	JNZ l2loop
	JMP l2done
l2mloop:
	VPBROADCASTD (SI), Y4
	VPSRLVD Y2, Y4, Y5
	VPSRLVD Y3, Y4, Y6
	VPERMILPS Y5, Y0, Y7
	VPERMILPS Y6, Y0, Y8
	VMOVUPS Y7, (DI)
	VMOVUPS Y8, 32(DI)
	VPSLLD $31, Y5, Y5
	VPSLLD $31, Y6, Y6
	VBLENDVPS Y5, (R8), Y1, Y7
	VBLENDVPS Y6, 32(R8), Y1, Y8
	VMOVUPS Y7, (R8)
	VMOVUPS Y8, 32(R8)
	ADDQ $4, SI
	ADDQ $64, DI
	ADDQ $64, R8
	DECQ CX
	JNZ l2mloop
l2done:
	VZEROUPPER
	RET
