package balance

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// spreadNaive is HAProxy's map construction as lb_map.c performs it: every
// slot scans every server. It is the reference for spread.
func spreadNaive(weights []int, tot int) []int32 {
	out := make([]int32, tot)
	score := make([]int, len(weights))
	for o := range out {
		best, top := -1, 0
		for j, wj := range weights {
			if tot == 1 {
				best = j
				break
			}
			score[j] += wj
			if v := (score[j] + tot) / tot; best < 0 || v > top {
				best, top = j, v
			}
		}
		out[o] = int32(best)
		score[best] -= tot
	}
	return out
}

func TestSpreadMatchesHAProxy(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 3000; n++ {
		m := 1 + r.IntN(12)
		weights := make([]int, m)
		sum := 0
		for j := range weights {
			weights[j] = 1 + r.IntN([]int{3, 20, 256}[n%3])
			sum += weights[j]
		}
		tot := sum
		if n%4 == 3 {
			// The backup case: the map is as long as the first weight.
			tot = weights[0]
		}
		if got, want := spread(weights, tot), spreadNaive(weights, tot); !slices.Equal(got, want) {
			t.Fatalf("weights %v tot %d:\n got %v\nwant %v", weights, tot, got, want)
		}
	}
}

func TestMapCountsFollowWeights(t *testing.T) {
	t.Parallel()
	// Weights 4, 6, 2 and 0 have GCD 2: the map holds 2, 3 and 1 slots.
	tab, _ := mustTable(t, every[1], w(4), w(6), w(2), w(0))
	got := make([]int, 4)
	for _, s := range tab.smap {
		got[s]++
	}
	if want := []int{2, 3, 1, 0}; !slices.Equal(got, want) {
		t.Fatalf("map %v counts %v, want %v", tab.smap, got, want)
	}
	// A server set to weight 0 at run time keeps the configured GCD.
	down, _ := mustTable(t, every[1], w(4), w(6), with(w(2), func(s *Server) { s.Weight = 0 }))
	if len(down.smap) != 5 {
		t.Fatalf("map %v, want 5 slots", down.smap)
	}
}
