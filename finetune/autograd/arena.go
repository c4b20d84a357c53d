package autograd

import (
	"slices"
	"sort"
)

// arenaPlan places the float buffers of one kind of pass in one arena:
// request i of a pass (in the order the pass makes them) gets size[i]
// elements at off[i]; overlaps[i] lists the requests whose regions
// overlap i's (they are never live together; Buffers checks it anyway).
type arenaPlan struct {
	size, off []int
	overlaps  [][]int
	total     int // the arena's length
}

// arenaAlign keeps every buffer on a 64-byte line (16 floats), as the
// kernels' vector loads like.
const arenaAlign = 16

// interval is one buffer's lifetime [born, died] in trace ticks.
type interval struct{ born, died int }

func (a interval) overlaps(b interval) bool { return a.born <= b.died && b.born <= a.died }

// planArena lays out buffers of the given sizes and lifetimes greedily by
// size (largest first, each in the tightest gap left by the buffers
// already placed that live at the same time, else after the last of
// them), the strategy of TensorFlow Lite's and other inference runtimes'
// memory planners, which comes within a few percent of the most memory
// live at once.
func planArena(size []int, life []interval) *arenaPlan {
	p := &arenaPlan{size: size, off: make([]int, len(size)), overlaps: make([][]int, len(size))}
	order := make([]int, len(size))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return size[order[a]] > size[order[b]] })
	var placed []int
	for _, i := range order {
		n := roundUp(size[i])
		var busy []int // placed buffers live with i, by offset
		for _, j := range placed {
			if life[i].overlaps(life[j]) {
				busy = append(busy, j)
			}
		}
		slices.SortFunc(busy, func(a, b int) int { return p.off[a] - p.off[b] })
		best, bestGap, at := -1, 0, 0
		for _, j := range busy {
			if gap := p.off[j] - at; gap >= n && (best < 0 || gap < bestGap) {
				best, bestGap = at, gap
			}
			at = max(at, p.off[j]+roundUp(size[j]))
		}
		if best < 0 {
			best = at
		}
		p.off[i] = best
		p.total = max(p.total, best+n)
		placed = append(placed, i)
	}
	for i := range size {
		for j := range size {
			if i != j && p.off[i] < p.off[j]+roundUp(size[j]) && p.off[j] < p.off[i]+roundUp(size[i]) {
				p.overlaps[i] = append(p.overlaps[i], j)
			}
		}
	}
	return p
}

func roundUp(n int) int { return (n + arenaAlign - 1) / arenaAlign * arenaAlign }
