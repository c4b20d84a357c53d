package convert

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/bincompress/bincompress/ir"
)

// Choosing float layers from data (--keep-float auto). A plan whose
// binarized records carry a measured Sensitivity (package finetune) is
// ranked by what keeping each layer float buys per byte it costs:
// Sensitivity / (FloatBytes − BinaryBytes), the greedy order for the fewest
// bytes that recover the most accuracy. The caller fine-tunes the plans
// that keep the first k layers of the ranking float, k = 0, 1, 2 ..., and
// stops at the first that meets its accuracy budget, or when the next one
// would break the size bound.

// RankFloat returns the indices of plan's binarized layers with a positive
// sensitivity, most worth keeping float first (ties keep graph order).
func RankFloat(plan []ir.LayerRecord) []int {
	var idx []int
	for i, r := range plan {
		if r.Binarized && r.Sensitivity != nil && *r.Sensitivity > 0 {
			idx = append(idx, i)
		}
	}
	worth := func(r ir.LayerRecord) float64 {
		return *r.Sensitivity / float64(max(r.FloatBytes-r.BinaryBytes, 1))
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(worth(plan[b]), worth(plan[a])) })
	return idx
}

// KeepRanked returns a copy of plan with the layers at idx (RankFloat's
// first k) kept float, each with the reason that names its rank and
// sensitivity.
func KeepRanked(plan []ir.LayerRecord, idx []int) []ir.LayerRecord {
	out := append([]ir.LayerRecord(nil), plan...)
	for rank, i := range idx {
		r := &out[i]
		r.Binarized, r.Scale = false, ""
		r.Reason = fmt.Sprintf("kept float by --keep-float auto: binarized alone it costs %.2f pt of held-out accuracy (rank %d by points per byte)",
			100**r.Sensitivity, rank+1)
	}
	return out
}

// AllBinary returns a copy of plan with every layer that can be binarized
// (it has binary bytes) marked binarized: the all-binary plan that the size
// bound of --keep-float auto is measured against, whatever other layers a
// user kept float beside auto.
func AllBinary(plan []ir.LayerRecord) []ir.LayerRecord {
	out := append([]ir.LayerRecord(nil), plan...)
	for i := range out {
		if out[i].BinaryBytes > 0 {
			out[i].Binarized = true
		}
	}
	return out
}
