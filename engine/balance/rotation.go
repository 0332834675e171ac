package balance

import (
	"encoding/binary"
	"slices"
)

// rotation is the order in which roundrobin or static-rr hands out a
// backend's servers, shared by every loop, so that the loops together give
// the one global order HAProxy's single (locked) balancer gives, whatever
// loop a request arrives on. The order is computed on the control path when
// the Table is built: for static-rr it is the server map; for roundrobin
// it is the sequence of HAProxy's fwrr run on one picker, which becomes
// periodic after at most a window or two (see planRR). A pick takes the next
// ticket with one atomic add and reads the server at that position.
type rotation struct {
	// seq holds the servers of the first len(seq) tickets; from prefix
	// on it repeats with period len(seq)-prefix.
	seq    []int32
	prefix int
	// offset is the position in seq of ticket 0: a static-rr map is walked
	// from where the previous Table's walk stopped.
	offset uint64
	// idx is, for a static-rr map, HAProxy's map index when the rotation
	// was made, which a map too short for it leaves unchanged.
	idx  uint64
	next ticket // tickets taken
	// members lists the distinct servers of seq by index.
	members []int32

	// For the walk over a consistent hashing ring, keys holds the
	// position of each point of seq, and last the point where the walk
	// stood when the rotation was made (hasLast false for none).
	keys    []uint32
	last    uint32
	hasLast bool
	// bck marks a walk over the backup servers' ring, lastBck a last
	// point on that ring (HAProxy keeps one position, in either ring).
	bck, lastBck bool

	// For roundrobin, origin is the fwrr picker's state at ticket 0 and
	// settle the number of picks after which its whole state (not only the
	// servers it picks) repeats with the period; they let the next Table
	// rebuild the state at any ticket.
	origin *rrPicker
	settle int
}

// maxRotation bounds the picks precomputed for a roundrobin rotation (4 MiB
// of sequence). A window of fwrr is 16 picks per unit of weight. From a
// fresh state the state at the end of the first window repeats at the end
// of the second; after a change, the rest of the window in progress comes
// first, and in every case the tests try the state repeats within two
// windows of the new weights. So rotations cover backends whose usable
// weights sum to at most 32768 (two windows), changes included except,
// near that size, a change that leaves a long window in progress. Past the
// bound each loop picks with its own fwrr picker, started afresh: each
// loop's order is HAProxy's, but the loops' orders interleave.
const maxRotation = 1 << 20

// at returns the server of ticket n.
func (r *rotation) at(n uint64) int32 {
	return r.seq[r.pos(n)]
}

// pos returns the position in seq of ticket n.
func (r *rotation) pos(n uint64) uint64 {
	n += r.offset
	if n >= uint64(len(r.seq)) {
		p := uint64(r.prefix)
		n = p + (n-p)%(uint64(len(r.seq))-p)
	}
	return n
}

// take returns the server of the next ticket.
func (r *rotation) take() int {
	return int(r.at(r.next.Add(1) - 1))
}

// pick returns the server of the next ticket when it has a free slot and is
// not avoid. Otherwise it takes further tickets, as HAProxy's walk moves
// past a server that is full or avoided, as long as another server could
// take the request, settling for avoid when it is the only one; Full when
// every server is full.
//
// That is HAProxy's static-rr walk exactly. HAProxy's fwrr instead takes a
// full server out of its trees until the pick ends (so the server cannot
// come up twice in one pick) and, when the pick starts a new window, puts
// it back at the window's start: once a roundrobin server is full, the
// order here can differ from HAProxy's, while every server still gets its
// weight's share of the tickets. When every server is full HAProxy's fwrr
// moves past all of them and this takes one ticket.
func (r *rotation) pick(t *Table, avoid int) int {
	if s := r.take(); s != avoid && !t.full(s) {
		return s
	}
	alt, avoidFree := -1, false
	for _, m := range r.members {
		switch s := int(m); {
		case t.full(s):
		case s == avoid:
			avoidFree = true
		case alt < 0:
			alt = s
		}
	}
	if alt < 0 {
		if avoidFree {
			return avoid
		}
		return Full
	}
	// Every member comes up within one length of seq; other loops may
	// fill alt meanwhile, so the walk is bounded and alt is the answer
	// when it ends.
	for range len(r.seq) {
		if s := r.take(); s != avoid && !t.full(s) {
			return s
		}
	}
	return alt
}

// newMapRotation returns the static-rr walk over t's server map, starting
// where prev's walk stopped, as HAProxy keeps its map index across map
// rebuilds: the slot after the last one chosen, which may be one past the
// end of the old map, and back to slot 0 when the new map is not longer
// than that. A map no walk took keeps the index for the next one, even
// when it is too short for it, as HAProxy resets the index only when it
// walks.
func newMapRotation(t *Table, prev *rotation) *rotation {
	r := &rotation{seq: t.smap, members: distinct(t.smap)}
	if prev == nil {
		return r
	}
	r.idx = prev.idx
	if n := prev.next.Load(); n > 0 {
		r.idx = (prev.offset+n-1)%uint64(len(prev.seq)) + 1
	}
	if r.idx < uint64(len(t.smap)) {
		r.offset = r.idx
	}
	return r
}

// distinct returns the servers of seq once each, by index.
func distinct(seq []int32) []int32 {
	m := slices.Clone(seq)
	slices.Sort(m)
	return slices.Compact(m)
}

// newRRRotation returns the roundrobin rotation of t's backup servers (bck)
// or active ones, continuing prev's (the rotation of the same group in the
// previous Table of the backend) at the ticket it has reached, or nil when
// the sequence would pass maxRotation. Without usable servers in the group
// the rotation has no sequence and only keeps the state for the next Table.
func newRRRotation(t *Table, prev *rotation, bck bool) *rotation {
	var p *rrPicker
	if prev != nil && prev.origin != nil {
		p = newRRPicker(t, prev.stateAt(prev.next.Load()), bck)
	} else {
		p = newRRPicker(t, nil, bck)
	}
	if len(p.members()) == 0 {
		return &rotation{origin: p}
	}
	return planRR(p)
}

// stateAt returns the fwrr picker's state after n picks of the rotation,
// replaying at most settle plus one period of picks from origin.
func (r *rotation) stateAt(n uint64) *rrPicker {
	p := r.origin.clone()
	if n == 0 {
		return p
	}
	if s, period := uint64(r.settle), uint64(len(r.seq)-r.prefix); n >= s+period {
		n = s + (n-s)%period
	}
	for range n {
		p.step()
	}
	return p
}

// planRR runs p, which is consumed, until its state at the end of a window
// repeats one seen at the end of an earlier window: from there the picks
// repeat. The sequence keeps only what precedes its periodic part; nil when
// no repetition comes within maxRotation picks.
func planRR(p *rrPicker) *rotation {
	if 2*p.nextWeight > maxRotation {
		return nil // the windows alone are too long
	}
	origin := p.clone()
	seen := make(map[string]int)
	seq := make([]int32, 0, 2*p.nextWeight) // fwrr repeats within two windows
	var fp []byte
	for len(seq) < maxRotation {
		if p.betweenWindows() {
			fp = p.appendState(fp[:0])
			if at, ok := seen[string(fp)]; ok {
				// The state repeats from at: the picks do too, and
				// maybe earlier, when the picks before at already
				// follow the period.
				period := len(seq) - at
				prefix := at
				for prefix > 0 && seq[prefix-1] == seq[prefix-1+period] {
					prefix--
				}
				return &rotation{
					seq:     slices.Clip(seq[:prefix+period]),
					prefix:  prefix,
					members: slices.Clone(p.members()),
					origin:  origin,
					settle:  at,
				}
			}
			seen[string(fp)] = len(seq)
		}
		seq = append(seq, p.step())
	}
	return nil
}

// betweenWindows reports whether the current window is over: every usable
// server waits in the next tree.
func (p *rrPicker) betweenWindows() bool {
	return len(p.trees[treeCurr]) == 0 && len(p.trees[p.init]) == 0
}

// appendState appends to b an encoding of everything that decides p's
// future picks and its handling of weight and state changes: the window
// figures, and every server's figures with its tree's role and its rank in
// the tree (insertion counters count only by their order).
func (p *rrPicker) appendState(b []byte) []byte {
	put := func(v int) { b = binary.AppendVarint(b, int64(v)) }
	put(p.currWeight)
	put(p.nextWeight)
	put(p.currPos)
	for _, tree := range [...]int8{treeCurr, p.init, p.next} {
		h := slices.Clone(p.trees[tree])
		slices.SortFunc(h, func(a, c int32) int {
			if p.less(a, c) {
				return -1
			}
			return 1
		})
		put(len(h))
		for _, i := range h {
			put(int(i))
		}
	}
	for i := range p.srv {
		s := &p.srv[i]
		role := 3
		switch s.tree {
		case treeCurr:
			role = 0
		case p.init:
			role = 1
		case p.next:
			role = 2
		}
		put(role)
		put(s.ew)
		put(s.npos)
		put(s.lpos)
		put(s.rweight)
		put(int(s.key))
	}
	return b
}
