package dns

import (
	"time"

	mdns "github.com/miekg/dns"
)

// resolution is the resolution of one name with one preferred query type,
// shared by the servers (requesters) that resolve that name. It keeps the
// records of past answers until they are obsolete. It belongs to the
// Resolver's goroutine.
type resolution struct {
	name   string // the fully qualified name asked
	prefer uint16 // preferred query type: A, AAAA or SRV
	qtype  uint16 // type being asked now

	running   bool   // queries are out
	id        uint16 // query id while running
	try       int    // queries left before giving up
	queries   int    // nameservers the last query reached
	responses int    // responses to the last query

	status         Status
	lastValid      time.Time // last valid answer; zero: never
	lastResolution time.Time // end of the last resolution; zero: never
	lastQuery      time.Time

	records []*record // records of valid answers, in key order

	// servers are the requesters of an A/AAAA resolution, in link order;
	// for an SRV resolution, the slots (the servers of the template).
	servers []*server
	// free lists the SRV slots without a record, first to fill first.
	free    []*server
	srv     bool // an SRV resolution
	dropped bool // its last requester left
}

// record is one record a resolution keeps, with when an answer last
// carried it.
type record struct {
	item
	key      uint32
	lastSeen time.Time
	ar       *record // SRV: the additional address record of its target
}

// newRecord returns a record of it keyed as HAProxy keys its answer tree.
func newRecord(it item, now time.Time) *record {
	r := &record{item: it, lastSeen: now}
	switch it.typ {
	case mdns.TypeA:
		b := it.ip.As4()
		r.key = xxh32(b[:], uint32(mdns.TypeA))
	case mdns.TypeAAAA:
		b := it.ip.As16()
		r.key = xxh32(b[:], uint32(mdns.TypeAAAA))
	default:
		r.key = xxh32(wireName(it.target), uint32(it.typ))
	}
	return r
}

// wireName returns name (with its final dot) as length-prefixed labels
// without the final zero, the bytes HAProxy hashes for an SRV target.
func wireName(name string) []byte {
	out := make([]byte, 0, len(name)+1)
	start := 0
	for i := 0; i < len(name); i++ {
		if name[i] == '.' {
			if i > start {
				out = append(out, byte(i-start))
				out = append(out, name[start:i]...)
			}
			start = i + 1
		}
	}
	return out
}

// same reports whether it designates the same record as r: the same
// address, or the same SRV target and port.
func (r *record) same(it item) bool {
	if r.typ != it.typ {
		return false
	}
	if it.typ == mdns.TypeSRV {
		return r.target == it.target && r.port == it.port
	}
	return r.ip == it.ip
}

// merge adds the records of a valid answer to res: a known one is seen
// again (an SRV record takes the new weight), a new one is inserted after
// the records of a lower or equal key. Additional records attach to the
// SRV records of their target.
func (res *resolution) merge(a answer, now time.Time) {
	for _, it := range a.items {
		if r := res.find(it); r != nil {
			r.lastSeen = now
			r.weight = it.weight
			continue
		}
		res.insert(newRecord(it, now))
	}
	for _, x := range a.extra {
		res.mergeExtra(x, now)
	}
}

// find returns the record for it, or nil.
func (res *resolution) find(it item) *record {
	for _, r := range res.records {
		if r.same(it) {
			return r
		}
	}
	return nil
}

// insert places r in key order, after records of an equal key.
func (res *resolution) insert(r *record) {
	i := len(res.records)
	for i > 0 && res.records[i-1].key > r.key {
		i--
	}
	res.records = append(res.records, nil)
	copy(res.records[i+1:], res.records[i:])
	res.records[i] = r
}

// mergeExtra refreshes the additional record of an SRV record of target
// x.name that already has this address, or gives it to the first SRV
// record of that target without one.
func (res *resolution) mergeExtra(x extraItem, now time.Time) {
	for _, r := range res.records {
		if r.typ == mdns.TypeSRV && r.target == x.name && r.ar != nil && r.ar.same(x.item) && !r.ar.lastSeen.Equal(now) {
			r.ar.lastSeen = now
			return
		}
	}
	for _, r := range res.records {
		if r.typ == mdns.TypeSRV && r.target == x.name && r.ar == nil {
			r.ar = &record{item: x.item, lastSeen: now}
			return
		}
	}
}

// obsolete reports whether a record last seen at seen is past hold
// obsolete at now.
func obsolete(seen time.Time, hold time.Duration, now time.Time) bool {
	return seen.Add(hold).Before(now)
}

// remove drops record r.
func (res *resolution) remove(r *record) {
	for i, o := range res.records {
		if o == r {
			res.records = append(res.records[:i], res.records[i+1:]...)
			return
		}
	}
}

// holds reports whether an error at now still falls within hold of the
// last valid answer, so that servers keep their addresses.
func (res *resolution) holds(hold time.Duration, now time.Time) bool {
	return !res.lastValid.IsZero() && now.Before(res.lastValid.Add(hold))
}

// holdFor returns the hold period of the resolution's current status.
func (res *resolution) holdFor(h Hold) time.Duration {
	switch res.status {
	case StatusNX:
		return h.NX
	case StatusTimeout:
		return h.Timeout
	case StatusRefused:
		return h.Refused
	}
	return h.Other
}

// reset ends the running resolution at now.
func (res *resolution) reset(now time.Time) {
	res.running = false
	res.try = 0
	res.lastResolution = now
	res.queries, res.responses = 0, 0
	res.qtype = res.prefer
	res.id = 0
}

// fallback returns the other address type for a resolution of preferred
// type t, or 0 for SRV.
func fallback(t uint16) uint16 {
	switch t {
	case mdns.TypeA:
		return mdns.TypeAAAA
	case mdns.TypeAAAA:
		return mdns.TypeA
	}
	return 0
}
