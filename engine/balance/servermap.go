package balance

import "tether/engine/config"

// buildMap builds HAProxy's server map (lb_map.c) for static-rr and the
// hash algorithms. Weights are divided by the GCD of the configured weights.
// The map holds the usable active servers or, when there is none, the
// usable backup servers under `option allbackups`, else is as long as the
// first usable backup's weight; each slot goes to the participating
// server with the highest score quantized to multiples of the map length,
// the earliest server winning ties, after every participant gained its
// weight; the winner then loses the map length. Like HAProxy, the backup
// case lets every usable backup take part, so a second backup can appear in
// a map sized for the first.
func (t *Table) buildMap() {
	g := 0
	for _, s := range t.servers {
		g = gcd(g, s.InitWeight)
	}
	if g == 0 {
		g = 1
	}
	weight := func(i int32) int { return (t.servers[i].Weight + g - 1) / g }

	var members []int32
	tot := 0
	switch {
	case len(t.group()) > 0:
		members = t.group()
		for _, i := range members {
			tot += weight(i)
		}
		t.used = len(members)
	case t.fbck >= 0:
		for i := t.fbck; i < len(t.servers); i++ {
			if s := &t.servers[i]; s.Backup && s.usable() {
				members = append(members, int32(i))
			}
		}
		tot = weight(int32(t.fbck))
		t.used = 1
	default:
		return
	}

	weights := make([]int, len(members))
	for j, i := range members {
		weights[j] = weight(i)
	}
	t.smap = make([]int32, tot)
	for o, j := range spread(weights, tot) {
		t.smap[o] = members[j]
	}
}

// gcd returns the greatest common divisor of a and b, treating 0 as
// neutral.
func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// mapPicker picks for static-rr and the hash algorithms: a hash selects a
// map slot modulo the map length; without a hash (static-rr, or a missing
// key) it walks the map, skipping full servers, as HAProxy's
// map_get_server_rr does, with the Table's rotation, whose position all
// loops share as HAProxy's threads share the map index. One mapPicker
// serves every loop.
type mapPicker struct {
	t *Table
}

// Pick implements Picker.
func (p *mapPicker) Pick(k *Key, avoid int) int {
	t := p.t
	if len(t.smap) == 0 {
		return None
	}
	if h, ok := t.hash(k); ok {
		return int(t.smap[h%uint32(len(t.smap))])
	}
	return t.rot.pick(t, avoid)
}

// hash returns the hash of the request for a hash algorithm, by the
// backend's `hash-type` function and modifier; ok is false for static-rr
// and when the key is missing. As in HAProxy, source, uri and hdr do not
// hash (and use 0) when a single server is in use.
func (t *Table) hash(k *Key) (h uint32, ok bool) {
	if k == nil {
		return 0, false
	}
	switch t.bal.Algo {
	case config.Source:
		h, ok = sourceHash(k.Src)
		if !ok || t.used == 1 {
			return 0, ok
		}
		return t.mix(h), true
	case config.URI:
		if t.used == 1 {
			return 0, true
		}
		target := k.Target
		if t.bal.PathOnly {
			target = uriPath(target)
		}
		return t.sum(uriPart(target, t.bal.Whole, t.bal.Len, t.bal.Depth)), true
	case config.URLParam:
		v, ok := urlParam(k.Target, t.bal.Param)
		if !ok {
			return 0, false
		}
		return t.sum(v), true
	case config.Hdr:
		if t.used == 1 {
			return 0, true
		}
		v := headerElement(k.Header)
		if len(v) == 0 {
			return 0, false
		}
		if t.bal.UseDomainOnly {
			v = domainPart(v)
		}
		return t.sum(v), true
	}
	return 0, false
}

// spread returns the winners of the tot slots of HAProxy's map among
// servers of the given weights, by position in weights. HAProxy scans every
// server for every slot; here a server's quantized score is recomputed only
// when it can change (when it wins, or when its growth crosses the next
// multiple of tot), with two indexed heaps: one of scores, highest and then
// earliest first, and one of the slots where each score next changes. That
// costs O((tot + sum of weights) × log servers) instead of
// O(tot × servers).
func spread(weights []int, tot int) []int32 {
	out := make([]int32, tot)
	if tot == 1 {
		return out // HAProxy takes the first server without scoring
	}
	m := len(weights)
	wins := make([]int, m) // slots won so far
	score := make([]int, m)
	due := make([]int, m) // slot at which score must be recomputed
	// level is HAProxy's (score + tot) / tot after slot o's weights are added,
	// with C's truncating division.
	level := func(j, o int) int { return ((o+1)*weights[j] - tot*wins[j] + tot) / tot }
	// nextDue returns the first slot after o where level(j) rises.
	nextDue := func(j, o int) int {
		x := (o+1)*weights[j] - tot*wins[j] + tot
		v := x / tot
		target := (v + 1) * tot // first value with a higher quotient, x >= 0 or -tot < x < 0
		if x <= -tot {
			target = v*tot + 1
		} else if x < 0 {
			target = tot
		}
		return o + (target-x+weights[j]-1)/weights[j]
	}
	best := newIndexHeap(m, func(a, b int32) bool {
		return score[a] > score[b] || score[a] == score[b] && a < b
	})
	events := newIndexHeap(m, func(a, b int32) bool { return due[a] < due[b] })
	for j := range weights {
		score[j] = level(j, 0)
		due[j] = nextDue(j, 0)
		best.push(int32(j))
		events.push(int32(j))
	}
	for o := range out {
		for {
			j := events.top()
			if due[j] > o {
				break
			}
			score[j] = level(int(j), o)
			due[j] = nextDue(int(j), o)
			best.fix(j)
			events.fix(j)
		}
		b := best.top()
		out[o] = b
		wins[b]++
		due[b] = o + 1
		events.fix(b)
	}
	return out
}

// indexHeap is a binary heap of the integers 0..n-1 under less, which knows
// where each one is, so that one whose order changed can be moved in place.
type indexHeap struct {
	items []int32
	pos   []int32
	less  func(a, b int32) bool
}

// newIndexHeap returns an empty heap for the integers 0..n-1.
func newIndexHeap(n int, less func(a, b int32) bool) *indexHeap {
	return &indexHeap{items: make([]int32, 0, n), pos: make([]int32, n), less: less}
}

// push adds j.
func (h *indexHeap) push(j int32) {
	h.pos[j] = int32(len(h.items))
	h.items = append(h.items, j)
	h.fix(j)
}

// top returns the least element.
func (h *indexHeap) top() int32 { return h.items[0] }

// fix restores the order after j's key changed.
func (h *indexHeap) fix(j int32) {
	i := int(h.pos[j])
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(h.items[i], h.items[parent]) {
			break
		}
		h.swap(i, parent)
		i = parent
	}
	for {
		c := 2*i + 1
		if c >= len(h.items) {
			return
		}
		if c+1 < len(h.items) && h.less(h.items[c+1], h.items[c]) {
			c++
		}
		if !h.less(h.items[c], h.items[i]) {
			return
		}
		h.swap(i, c)
		i = c
	}
}

// swap exchanges two entries and their recorded positions.
func (h *indexHeap) swap(a, b int) {
	h.items[a], h.items[b] = h.items[b], h.items[a]
	h.pos[h.items[a]] = int32(a)
	h.pos[h.items[b]] = int32(b)
}
