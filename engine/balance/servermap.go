package balance

import "tether/engine/config"

// buildMap builds HAProxy's server map (lb_map.c) for static-rr and the
// hash algorithms. Weights are divided by the GCD of the configured weights.
// The map holds the usable active servers or, when there is none, is as long
// as the first usable backup's weight; each slot goes to the participating
// server with the highest score quantized to multiples of the map length,
// the earliest server winning ties, after every participant gained its
// weight; the winner then loses the map length. Like HAProxy, the backup
// case lets every usable backup take part, so a second backup can appear in
// a map sized for the first. Building costs O(map length × servers).
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
	case len(t.active) > 0:
		members = t.active
		for _, i := range members {
			tot += weight(i)
		}
		t.mapUsed = len(members)
	case t.fbck >= 0:
		for i := t.fbck; i < len(t.servers); i++ {
			if s := &t.servers[i]; s.Backup && s.usable() {
				members = append(members, int32(i))
			}
		}
		tot = weight(int32(t.fbck))
		t.mapUsed = 1
	default:
		return
	}

	t.smap = make([]int32, tot)
	score := make([]int, len(members))
	for o := range t.smap {
		best, max := -1, 0
		for j, i := range members {
			if tot == 1 {
				best = j
				break
			}
			score[j] += weight(i)
			if v := (score[j] + tot) / tot; best < 0 || v > max {
				best, max = j, v
			}
		}
		t.smap[o] = members[best]
		score[best] -= tot
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
// key) it walks the map in order from the loop's own index, skipping full
// servers, as HAProxy's map_get_server_rr does.
type mapPicker struct {
	t  *Table
	rr int // next map slot of the round-robin walk
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
	return p.roundRobin(avoid)
}

// hash returns the hash of the request for a hash algorithm; ok is false for
// static-rr and when the key is missing. As in HAProxy, source, uri and hdr
// do not hash (and use slot 0) when the map holds a single server.
func (t *Table) hash(k *Key) (h uint32, ok bool) {
	if k == nil {
		return 0, false
	}
	switch t.bal.Algo {
	case config.Source:
		h, ok = sourceHash(k.Src)
		if ok && t.mapUsed == 1 {
			h = 0
		}
		return h, ok
	case config.URI:
		if t.mapUsed == 1 {
			return 0, true
		}
		return sdbm(uriPart(k.Target, t.bal.Whole, t.bal.Len, t.bal.Depth)), true
	case config.URLParam:
		v, ok := urlParam(k.Target, t.bal.Param)
		if !ok {
			return 0, false
		}
		return sdbm(v), true
	case config.Hdr:
		if t.mapUsed == 1 {
			return 0, true
		}
		v := headerElement(k.Header)
		if len(v) == 0 {
			return 0, false
		}
		if t.bal.UseDomainOnly {
			v = domainPart(v)
		}
		return sdbm(v), true
	}
	return 0, false
}

// roundRobin walks the map from p.rr to the next server with a free slot
// that is not avoid, settling for avoid if it is the only one; Full when
// every server is full.
func (p *mapPicker) roundRobin(avoid int) int {
	t := p.t
	n := len(t.smap)
	if p.rr >= n {
		p.rr = 0
	}
	avoided, avoidedNext := -1, 0
	for i, steps := p.rr, 0; steps < n; steps++ {
		s := int(t.smap[i])
		i++
		if !t.full(s) {
			if s != avoid {
				p.rr = i
				return s
			}
			avoided, avoidedNext = s, i
		}
		if i == n {
			i = 0
		}
	}
	if avoided >= 0 {
		p.rr = avoidedNext
		return avoided
	}
	return Full
}
