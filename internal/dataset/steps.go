package dataset

import "fmt"

// Steps says in words, in order, what p does to an image up to the layout
// (steps 1 to 6 of Preprocess; Layout is step 7), for code outside this
// program that must feed the model the same values: the C export writes
// them into its header.
func (p Preprocess) Steps() []string {
	steps := []string{"pixels to float32 in [0, 1]: 8-bit values divided by 255"}
	bilinear := " (bilinear, half-pixel centers, no antialiasing)"
	if p.Antialias {
		bilinear = " (bilinear, half-pixel centers, antialiased: a side it shrinks averages every source pixel an output pixel covers, as PIL's resize)"
	}
	switch len(p.Resize) {
	case 1:
		steps = append(steps, fmt.Sprintf("resize the shorter side to %d, keeping the aspect ratio%s", p.Resize[0], bilinear))
	case 2:
		steps = append(steps, fmt.Sprintf("resize to %dx%d (height x width)%s", p.Resize[0], p.Resize[1], bilinear))
	}
	if len(p.CenterCrop) > 0 {
		h, w := hw(p.CenterCrop)
		steps = append(steps, fmt.Sprintf("center crop %dx%d (height x width)", h, w))
	}
	if p.Channels == 3 {
		steps = append(steps, "a one-channel image repeated into 3 channels")
	}
	if p.ChannelOrder == "BGR" {
		steps = append(steps, "channels in BGR order")
	}
	if len(p.Mean) == 0 && len(p.Std) == 0 {
		return append(steps, "no mean/std normalization")
	}
	mean, std := p.Mean, p.Std
	if len(mean) == 0 {
		mean = []float32{0}
	}
	if len(std) == 0 {
		std = []float32{1}
	}
	return append(steps, fmt.Sprintf("(x - mean[c]) / std[c] per channel c, mean %v, std %v", valuesText(mean), valuesText(std)))
}

// valuesText is one value as itself (it applies to every channel), more as
// a list.
func valuesText(v []float32) string {
	if len(v) == 1 {
		return fmt.Sprint(v[0])
	}
	return fmt.Sprint(v)
}
