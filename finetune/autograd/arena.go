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

// planArena lays out buffers of the given sizes and lifetimes greedily:
// each in the tightest gap left by the buffers already placed that live at
// the same time, else after the last of them. It places them by size
// (largest first), the strategy of TensorFlow Lite's and other inference
// runtimes' memory planners, and in request order, and keeps the smaller
// layout: by size wastes room where a large short-lived buffer takes the
// low offsets that smaller, longer-lived ones then cannot share (an
// option-A shortcut's pooled input beside a block's activations: a third
// more than the most live at once), in request order where a small early
// buffer splits a gap a later large one needed.
func planArena(size []int, life []interval) *arenaPlan {
	order := make([]int, len(size))
	for i := range order {
		order[i] = i
	}
	inOrder, inOrderTotal := placeGreedy(order, size, life)
	bySize := slices.Clone(order)
	sort.SliceStable(bySize, func(a, b int) bool { return size[bySize[a]] > size[bySize[b]] })
	p := &arenaPlan{size: size, overlaps: make([][]int, len(size))}
	p.off, p.total = placeGreedy(bySize, size, life)
	if inOrderTotal < p.total {
		p.off, p.total = inOrder, inOrderTotal
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

// placeGreedy places the buffers in the given order, each in the tightest
// gap among the placed buffers it lives with (else after them), and
// returns their offsets and the arena's length.
func placeGreedy(order, size []int, life []interval) (off []int, total int) {
	off = make([]int, len(size))
	var placed []int
	for _, i := range order {
		n := roundUp(size[i])
		var busy []int // placed buffers live with i, by offset
		for _, j := range placed {
			if life[i].overlaps(life[j]) {
				busy = append(busy, j)
			}
		}
		slices.SortFunc(busy, func(a, b int) int { return off[a] - off[b] })
		best, bestGap, at := -1, 0, 0
		for _, j := range busy {
			if gap := off[j] - at; gap >= n && (best < 0 || gap < bestGap) {
				best, bestGap = at, gap
			}
			at = max(at, off[j]+roundUp(size[j]))
		}
		if best < 0 {
			best = at
		}
		off[i] = best
		total = max(total, best+n)
		placed = append(placed, i)
	}
	return off, total
}
