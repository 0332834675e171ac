package balance

import (
	"math/bits"
	"slices"
)

// ring is HAProxy's consistent hashing tree (lb_chash.c), on which the hash
// algorithms under `hash-type consistent` look hashes up and random draws
// positions, as two slices sorted by key.
// Every usable active server owns one point per unit of its effective
// weight (user weight times 16); point j of the server with identifier id
// sits at fullHash(id*4096 + j), so a server keeps its points whatever the
// other servers do, and a weight change adds or removes its last points
// only. A hash goes to the server of the point nearest to it on the circle
// of 32-bit values, the point below winning a tie. The ring holds the
// servers of Table.group: without active servers it holds the usable
// backup servers under `option allbackups` (HAProxy's backup tree), and
// otherwise none, the first usable backup taking everything.
type ring struct {
	keys []uint32 // point positions, ascending
	srv  []int32  // the server of each point, by index
	// first indexes the points by the top bits of their positions, at
	// least as many buckets as points: the points of bucket b, the
	// positions whose top bits are b, are keys[first[b]:first[b+1]]. A
	// lookup reads a bucket or two instead of searching the whole ring.
	first []uint32
	shift uint // 32 minus the number of top bits
}

// pointSpan is HAProxy's SRV_EWGHT_RANGE: how many point numbers each server
// identifier owns.
const pointSpan = maxWeight * Scale

// buildRing builds t's ring and sets used. Two points at one position,
// which takes two servers with the same identifier, are ordered by server
// index, as HAProxy's tree orders them by insertion.
func (t *Table) buildRing() {
	group := t.group()
	switch {
	case len(group) > 0:
		t.used = len(group)
	case t.fbck >= 0:
		t.used = 1
		return
	default:
		return
	}
	t.ring = t.newRing(group)
	t.bounds = t.newBounds()
}

// newRing returns the ring of the servers of group, which is not empty.
func (t *Table) newRing(group []int32) ring {
	n := 0
	for _, i := range group {
		n += int(t.eweight[i])
	}
	// A point is its position in the high half and its server's index in
	// the low half, so that sorting the integers orders the points.
	pts := make([]uint64, 0, n)
	for _, i := range group {
		base := uint32(t.id(int(i))) * pointSpan
		for j := range uint32(t.eweight[i]) {
			pts = append(pts, uint64(fullHash(base+j))<<32|uint64(i))
		}
	}
	slices.Sort(pts)
	r := ring{keys: make([]uint32, n), srv: make([]int32, n)}
	for k, p := range pts {
		r.keys[k], r.srv[k] = uint32(p>>32), int32(uint32(p))
	}
	r.index()
	return r
}

// index builds first and shift for the sorted keys of a ring of at least
// one point.
func (r *ring) index() {
	n := len(r.keys)
	top := bits.Len(uint(n - 1)) // 2^top >= n
	r.shift = uint(32 - top)
	r.first = make([]uint32, 1<<top+1)
	k := 0
	for b := range r.first {
		for k < n && uint64(r.keys[k])>>r.shift < uint64(b) {
			k++
		}
		r.first[b] = uint32(k)
	}
}

// id returns the identifier of server i.
func (t *Table) id(i int) int {
	if id := t.servers[i].ID; id != 0 {
		return id
	}
	return i + 1
}

// lookup returns the server of the point nearest to h, or when that server
// is avoid, of the first point after it (going up and around) that belongs
// to another server; avoid when every point is avoid's. The ring must not be
// empty.
func (r *ring) lookup(h uint32, avoid int) int {
	n := len(r.keys)
	i := r.nearest(h)
	for range n {
		if s := int(r.srv[i]); s != avoid {
			return s
		}
		if i++; i == n {
			i = 0
		}
	}
	return avoid
}

// nearest returns the index of the point nearest to h, the point below
// winning a tie. The ring must not be empty.
func (r *ring) nearest(h uint32) int {
	n := len(r.keys)
	b := h >> r.shift
	next, end := int(r.first[b]), int(r.first[b+1])
	for next < end && r.keys[next] < h { // the first point at or above h
		next++
	}
	if next == n {
		next = 0
	}
	prev := next - 1
	if prev < 0 {
		prev = n - 1
	}
	if h-r.keys[prev] <= r.keys[next]-h { // distances around the circle
		return prev
	}
	return next
}

// ringPicker picks for the hash algorithms under `hash-type consistent`: a
// hash selects a point of the ring; without a hash (a missing key) it walks
// the ring's points in order, skipping full servers, as HAProxy's
// chash_get_next_server does, with the Table's rotation, whose position all
// loops share. One ringPicker serves every loop.
type ringPicker struct {
	t *Table
}

// Pick implements Picker. Unlike map-based hashing, it honours avoid, as
// HAProxy does: a redispatched request moves on to the next server along
// the ring.
func (p *ringPicker) Pick(k *Key, avoid int) int {
	t := p.t
	if len(t.ring.keys) == 0 {
		if t.fbck >= 0 {
			return t.fbck
		}
		return None
	}
	if h, ok := t.hash(k); ok {
		return t.lookup(h, avoid)
	}
	return t.rot.pick(t, avoid)
}

// newRingRotation returns the walk over t's ring that the hash algorithms
// take without a key: the points in key order, starting after the point
// where prev's walk stood (HAProxy's chash.last). When that point left the
// ring, HAProxy moves its position to the next point that stays, so the
// walk resumes after that one; when the ring emptied, or no walk was taken
// yet, it starts at the first point. Under `option allbackups` the
// position may stand on the backup servers' ring when the active servers
// come back: as in HAProxy, the walk then takes the rest of the backup
// ring before it goes round the active ring, and keeps the position for
// a later walk over the backup ring. A walk over the backup ring after one
// over the active ring starts at its first point: the active ring emptied
// first, and HAProxy's position with it.
func newRingRotation(t *Table, prev *rotation) *rotation {
	r := &rotation{seq: t.ring.srv, keys: t.ring.keys, members: slices.Clone(t.group()),
		bck: len(t.active) == 0}
	last, lastBck, ok := prev.lastPoint()
	if !ok || len(r.keys) == 0 {
		return r
	}
	if lastBck != r.bck {
		if lastBck && len(t.backups) > 0 {
			r.backupTail(t, last)
		}
		return r
	}
	i, _ := slices.BinarySearch(r.keys, last)
	if i == len(r.keys) {
		i = 0
	}
	r.last, r.lastBck, r.hasLast = r.keys[i], r.bck, true
	r.offset = uint64(i+1) % uint64(len(r.keys))
	return r
}

// backupTail puts before r's walk over the active ring the points of the
// backup ring after last, a position on it: the point at last, or the next
// one when that left the ring. That point stays the position until a walk
// takes a ticket.
func (r *rotation) backupTail(t *Table, last uint32) {
	b := t.newRing(t.backups)
	i, _ := slices.BinarySearch(b.keys, last)
	if i == len(b.keys) {
		i = 0
	}
	r.last, r.lastBck, r.hasLast = b.keys[i], true, true
	r.prefix = len(b.keys) - i - 1
	r.seq = append(slices.Clone(b.srv[i+1:]), r.seq...)
	r.keys = append(slices.Clone(b.keys[i+1:]), r.keys...)
	r.members = distinct(append(r.members, b.srv[i+1:]...))
}

// lastPoint returns the position of the last point a ring walk took, or the
// one it inherited, and whether it is on the backup ring; ok is false
// before any, and for other rotations.
func (r *rotation) lastPoint() (key uint32, bck, ok bool) {
	if r == nil || r.keys == nil {
		return 0, false, false
	}
	if n := r.next.Load(); n > 0 {
		j := r.pos(n - 1)
		return r.keys[j], r.bck || j < uint64(r.prefix), true
	}
	return r.last, r.lastBck, r.hasLast
}
