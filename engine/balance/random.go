package balance

import "math/rand/v2"

// randomPicker is random(draws): draws servers at random and keeps the one
// with the fewest assigned requests relative to its weight (power of two
// choices for the default of 2 draws). As in HAProxy, a draw is a random
// position on the consistent hashing ring, so a server's chance is the
// share of the ring nearest to its points, which follows its weight only
// roughly; and a drawn server that is full makes the request wait in the
// backend queue (Full) rather than trying another one.
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
	if len(t.group()) == 0 && t.fbck < 0 {
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

// draw returns the server nearest to a random position of the ring, the
// next other server along the ring if that is avoid, or the first usable
// backup when it stands in alone.
func (p *randomPicker) draw(avoid int) int {
	t := p.t
	if len(t.ring.keys) == 0 {
		return t.fbck
	}
	return t.lookup(uint32(p.rng.Uint64()), avoid)
}
