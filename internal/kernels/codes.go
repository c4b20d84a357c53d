package kernels

// Decoding the k-bit codes the trainer saves for backward (finetune/autograd
// Codes): a table lookup per element, with AVX-512 bodies for 1- and 2-bit
// codes (codes_avx512_amd64.s). Lookups do no arithmetic, so every path
// gives the same bits.

// CodeTable maps each code of up to 8 bits to its value.
type CodeTable [256]float32

// LookupCodes sets dst[i] = tab[c_i] for the len(dst) codes c_i of bits
// bits each (1, 2, 4 or 8) that start at bit pos of words, least
// significant first. When inactive is not nil it also zeroes inactive[i]
// where bit 0 of c_i is clear (the gradient through an inactive ReLU).
func LookupCodes(dst, inactive []float32, words []uint64, pos, bits int, tab *CodeTable) {
	mask := uint64(1)<<bits - 1
	one := func(i, pos int) {
		code := words[pos>>6] >> (pos & 63) & mask
		dst[i] = tab[uint8(code)]
		if inactive != nil && code&1 == 0 {
			inactive[i] = 0
		}
	}
	i := 0
	for ; i < len(dst) && pos&63 != 0; i, pos = i+1, pos+bits {
		one(i, pos) // up to a word boundary
	}
	per := 64 / bits
	whole := (len(dst) - i) / per * per
	var in []float32
	if inactive != nil {
		in = inactive[i : i+whole]
	}
	done := lookupWordsFast(dst[i:i+whole], in, words[pos>>6:], bits, tab)
	i, pos = i+done, pos+done*bits
	for ; i+per <= len(dst); i, pos = i+per, pos+64 {
		w := words[pos>>6]
		for j, out := 0, dst[i:i+per]; j < len(out); j++ {
			out[j] = tab[uint8(w&mask)]
			if inactive != nil && w&1 == 0 {
				inactive[i+j] = 0
			}
			w >>= bits
		}
	}
	for ; i < len(dst); i, pos = i+1, pos+bits {
		one(i, pos)
	}
}
