package balance

import (
	"math/bits"
	"math/rand/v2"
	"slices"
)

// randomPicker is random(draws): draws servers at random in proportion to
// their weights and keeps the one with the fewest assigned requests
// relative to its weight (power of two choices for the default of 2
// draws). As in HAProxy, a drawn server that is full makes the request wait
// in the backend queue (Full) rather than trying another one.
type randomPicker struct {
	t   *Table
	rng rand.PCG
}

// newRandomPicker returns a random Picker for t with its own generator.
func newRandomPicker(t *Table) *randomPicker {
	p := &randomPicker{t: t}
	p.rng.Seed(rand.Uint64(), rand.Uint64())
	return p
}

// Pick implements Picker.
func (p *randomPicker) Pick(_ *Key, avoid int) int {
	t := p.t
	if len(t.active) == 0 && t.fbck < 0 {
		return None
	}
	curr := -1
	for d := 0; d < max(t.bal.Draws, 1); d++ {
		prev := curr
		curr = p.draw(avoid)
		if prev >= 0 && prev != curr &&
			int64(t.counters.Active(curr))*int64(t.eweight[prev]) > int64(t.counters.Active(prev))*int64(t.eweight[curr]) {
			curr = prev
		}
	}
	if t.full(curr) {
		return Full
	}
	return curr
}

// draw returns a usable active server at random in proportion to its
// weight, the next one in index order if it drew avoid, or the first usable
// backup when no active server is usable.
func (p *randomPicker) draw(avoid int) int {
	t := p.t
	n := len(t.active)
	if n == 0 {
		return t.fbck
	}
	hi, _ := bits.Mul64(p.rng.Uint64(), t.cum[n-1])
	at, _ := slices.BinarySearch(t.cum, hi+1)
	if int(t.active[at]) == avoid && n > 1 {
		at = (at + 1) % n
	}
	return int(t.active[at])
}
