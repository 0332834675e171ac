package balance

// Bounded loads (`hash-balance-factor`): under consistent hashing, and for
// random's draws, a server whose requests in progress reach its share of
// Factor percent of the backend's (the one about to come included), shared
// out by effective weight, is passed over for the next point along the
// ring, as HAProxy's chash_server_is_eligible decides. The share of a
// server rounds as HAProxy's does: whole slots per unit of weight, the
// remainder spread by the servers' cumulative weights in configuration
// order, and never less than one slot.

// bounds are the weights the eligibility of a server weighs: cum[i] is
// the effective weight of the usable servers of its group before server i,
// total that of the whole group.
type bounds struct {
	cum   []int64
	total int64
}

// newBounds returns the bounds of t's group, or nil without a factor.
func (t *Table) newBounds() *bounds {
	if t.bal.Factor <= 0 {
		return nil
	}
	b := &bounds{cum: make([]int64, len(t.servers))}
	for _, i := range t.group() {
		b.cum[i] = b.total
		b.total += int64(t.eweight[i])
	}
	return b
}

// eligible reports whether server i may take one more request.
func (t *Table) eligible(i int) bool {
	b := t.bounds
	if b == nil || b.total == 0 {
		return true
	}
	served := t.counters.served.Load()
	slots := ((served+1)*int64(t.bal.Factor) + 99) / 100
	per, rem := slots/b.total, slots%b.total
	w, cum := int64(t.eweight[i]), b.cum[i]
	mine := w*per + (cum+w)*rem/b.total - cum*rem/b.total
	return int64(t.counters.Active(i)) < max(mine, 1)
}

// lookup returns the server for hash h on t's ring: the nearest point's,
// or the first along the ring that is not avoid and, with a factor,
// eligible. When none is, it returns the nearest that is not avoid.
func (t *Table) lookup(h uint32, avoid int) int {
	r := &t.ring
	if t.bounds == nil {
		return r.lookup(h, avoid)
	}
	n := len(r.keys)
	i := r.nearest(h)
	for range n {
		if s := int(r.srv[i]); s != avoid && t.eligible(s) {
			return s
		}
		if i++; i == n {
			i = 0
		}
	}
	return r.lookup(h, avoid)
}
