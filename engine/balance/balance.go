// Package balance chooses a server for a request, with HAProxy 2.6's
// load-balancing algorithms: roundrobin, static-rr, leastconn, first,
// random, source, uri, url_param and hdr(name), the hash algorithms with
// each `hash-type` (map-based or consistent, sdbm, djb2, wt6 or crc32, with
// or without avalanche).
//
// The control plane builds a Table, an immutable description of one
// backend's servers (weights, states, backup flags, maxconn), whenever they
// change, and publishes it in the backend's snapshot. Each event loop gets
// a Picker per backend from the current Table with Table.NewPicker, again
// when the loop sees a new Table. Pick needs no lock and allocates nothing.
//
// HAProxy with several threads keeps one balancing state per backend, so
// its threads together hand out servers in one order; so do the loops
// here. roundrobin and static-rr precompute that order when the Table is
// built (see rotation) and the loops share a ticket counter into it;
// leastconn orders servers of equal load by when their load last changed,
// from stamps in Counters; first and the hash algorithms keep no state.
// Counters, shared by every loop and every Table of the backend, also hold
// the live connection counts, so a new Table never resets them, and the
// last Table built, whose rotation the next one continues with the change
// applied as HAProxy applies it to its running state.
//
// As in HAProxy, a weight of 0 or the Drain state keeps a server out of
// balancing (persistence may still send it traffic, which is not this
// package's concern), Maint and Down servers are never chosen, and backup
// servers are used only when no active server is usable. Then, without
// `option allbackups`, only the first usable one takes traffic (HAProxy's
// server map, which static-rr and the hash algorithms share, lets later
// backups compete for the first one's slots, and so does this package);
// with it (Balance.AllBackups), every usable backup server does, balanced by
// the backend's algorithm as the active ones are, with a state of their own
// (HAProxy's backup trees), which the active servers' state does not
// disturb.
package balance

import (
	"errors"

	"tether/engine/config"
)

// State is a server's administrative and operational state as balancing sees
// it.
type State uint8

const (
	// Ready servers take new traffic.
	Ready State = iota
	// Drain servers keep persistent traffic but are never chosen by
	// balancing.
	Drain
	// Maint servers are stopped by the administrator.
	Maint
	// Down servers failed their health checks.
	Down
)

// Server describes one server of a backend, at the index it has in the
// backend (the order of the configuration, which is HAProxy's id order).
type Server struct {
	// Weight is the effective user weight, 0..256 (configured, then changed
	// by `set weight`, slow start or agents). 0 keeps the server out of
	// balancing.
	Weight int
	// Warm is the share of Weight a slow start gives the server, in
	// sixteenths (HAProxy's BE_WEIGHT_SCALE): 1 to 16, 0 standing for 16.
	// The map-based algorithms (static-rr, hash-type map-based) ignore it,
	// as HAProxy's static algorithms do.
	Warm int
	// InitWeight is the configured weight (HAProxy's initial weight).
	// static-rr and the hash algorithms divide weights by the greatest
	// common divisor of all servers' InitWeight, as HAProxy does at start,
	// which changes which server a hash lands on.
	InitWeight int
	// ID is the server's identifier (HAProxy's `id`, by default its
	// 1-based position with explicit ids skipped); 0 stands for the index
	// plus one. Consistent hashing places the server on its ring by it.
	ID int
	// State is the server's state; only Ready servers are chosen.
	State State
	// Backup marks a backup server.
	Backup bool
	// MaxConn is the server's maxconn; 0 means unlimited.
	MaxConn int
	// MinConn is the server's minconn: with a Load (Counters.Follow),
	// its maxconn grows from MinConn to MaxConn with the backend's load.
	// 0, or not below MaxConn, keeps MaxConn static.
	MinConn int
	// MaxQueue is the server's maxqueue; 0 means unlimited. leastconn
	// counts a server with a maxconn as full when its connections plus
	// queued requests reach MaxConn+MaxQueue, adding 0 for unlimited, as
	// HAProxy does.
	MaxQueue int
}

// Results of Pick that are not a server index.
const (
	// None means no server is usable: answer 503.
	None = -1
	// Full means usable servers exist but every one is at its maxconn: queue
	// the request in the backend until a connection is released.
	Full = -2
)

// Errors of NewTable.
var (
	ErrWeight   = errors.New("balance: server weight out of 0..256")
	ErrCounters = errors.New("balance: counters do not cover every server")
)

// Table is the immutable balancing description of one backend. It is safe
// for concurrent use; build a new one when a server's weight, state, backup
// flag or maxconn changes.
type Table struct {
	bal      config.Balance
	servers  []Server
	counters *Counters

	// active and backups list the usable active and backup servers by
	// index; fbck is the first usable backup server without `option
	// allbackups`, or -1. Pickers use fbck only when active is empty.
	active, backups []int32
	fbck            int
	// eweight is each server's effective weight in HAProxy's dynamic
	// scale (user weight times 16), 0 when not usable.
	eweight []int32
	// smap is HAProxy's server map for static-rr and the map-based hash
	// algorithms: each server appears as many times as its weight divided
	// by the GCD, spread smoothly.
	smap []int32
	// ring is the consistent hashing ring of random, and of the hash
	// algorithms under `hash-type consistent`.
	ring ring
	// bounds weigh servers against hash-balance-factor on the ring; nil
	// without a factor.
	bounds *bounds
	// used is HAProxy's count of servers in use by the hash algorithms (1
	// when the first backup stands in); they skip hashing at 1.
	used int
	// rot is the rotation shared by the loops for roundrobin (nil when
	// too long to precompute) and for static-rr and the hash algorithms'
	// round-robin fallback. For roundrobin it is the active servers'; brot
	// is the backup servers' under `option allbackups`.
	rot, brot *rotation
	// shared is the Picker every loop uses, for the algorithms whose
	// state is shared; nil when each loop needs its own.
	shared Picker
}

// Picker chooses servers for the requests of one event loop. A loop gets
// one from Table.NewPicker; it may be shared with the other loops (and is
// then safe for concurrent use) or the loop's own.
type Picker interface {
	// Pick returns the index of the server for a request with key k, or
	// None or Full. avoid is the index of a server to avoid when another
	// one can take the request (a redispatch after failures on it), or -1;
	// the map-based hash algorithms ignore it, as HAProxy does, and
	// consistent hashing moves on along its ring.
	// k is read only during the call; the hash algorithms need it, the
	// others ignore it and accept nil. A hash that lands on a server at its
	// maxconn still returns that server (the request waits in its queue);
	// Full comes only from the other algorithms and from the hash
	// algorithms' round-robin fallback.
	Pick(k *Key, avoid int) int
}

// Scale is HAProxy's BE_WEIGHT_SCALE: effective weights of the dynamic
// algorithms are user weights times 16 (times Warm during a slow start).
const Scale = 16

// maxWeight is the largest user weight.
const maxWeight = 256

// NewTable builds the description of a backend balanced by b over servers,
// reading live connection counts from c, which must have a slot for every
// server. servers is copied. The Table continues the rotation of the last
// Table built with c, as it stands when NewTable runs; calls for one
// Counters must not run concurrently (the control plane builds one
// snapshot at a time). Picks still made on the old Table after that take
// from the old rotation. For roundrobin NewTable precomputes the rotation,
// which takes about 150 ms for 10,000 servers of weights 1 to 5.
func NewTable(b config.Balance, servers []Server, c *Counters) (*Table, error) {
	if c == nil || len(c.slots) < len(servers) {
		return nil, ErrCounters
	}
	t := &Table{
		bal:      b,
		servers:  append([]Server(nil), servers...),
		counters: c,
		fbck:     -1,
		eweight:  make([]int32, len(servers)),
	}
	for i, s := range t.servers {
		if s.Weight < 0 || s.Weight > maxWeight || s.InitWeight < 0 || s.InitWeight > maxWeight {
			return nil, ErrWeight
		}
		if !s.usable() {
			continue
		}
		warm := s.Warm
		if warm <= 0 || warm > Scale {
			warm = Scale
		}
		t.eweight[i] = int32(s.Weight * warm)
		if s.Backup {
			t.backups = append(t.backups, int32(i))
		} else {
			t.active = append(t.active, int32(i))
		}
	}
	if len(t.backups) > 0 && !b.AllBackups {
		t.fbck = int(t.backups[0])
	}
	if b.Factor > 0 {
		c.bounded.Store(true) // before any request: the first Table of c comes first
	}
	switch {
	case t.consistent():
		t.buildRing()
	case t.mapBased():
		t.buildMap()
	}
	t.share(c.last.Load())
	c.last.Store(t)
	return t, nil
}

// share sets up the state t's loops share, continuing that of prev, the
// last Table built with the same Counters, or nil.
func (t *Table) share(prev *Table) {
	var rot, brot *rotation
	if prev != nil && prev.bal.Algo == t.bal.Algo {
		rot, brot = prev.rot, prev.brot
	} else {
		prev = nil
	}
	switch t.bal.Algo {
	case config.RoundRobin:
		t.rot = newRRRotation(t, rot, false)
		if t.bal.AllBackups {
			t.brot = newRRRotation(t, brot, true)
		}
		if t.serving() != nil {
			t.shared = &rrShared{t: t}
		}
	case config.LeastConn:
		t.counters.ordered.Store(true)
		t.requeueChanged(prev)
		t.shared = &lcPicker{t: t}
	case config.First:
		t.shared = &firstPicker{t: t}
	case config.StaticRR:
		t.rot = newMapRotation(t, rot)
		t.shared = &mapPicker{t: t}
	case config.Random:
	default:
		if t.consistent() {
			t.rot = newRingRotation(t, rot)
			t.shared = &ringPicker{t: t}
			break
		}
		t.rot = newMapRotation(t, rot)
		t.shared = &mapPicker{t: t}
	}
}

// group returns the servers balancing chooses among: the usable active
// servers, else under `option allbackups` the usable backup servers. It is
// empty when no server is usable, and when the first backup stands in alone.
func (t *Table) group() []int32 {
	if len(t.active) > 0 || !t.bal.AllBackups {
		return t.active
	}
	return t.backups
}

// usable reports whether balancing may choose s (HAProxy's
// srv_willbe_usable).
func (s *Server) usable() bool {
	return s.Weight > 0 && s.State == Ready
}

// mapBased reports whether the algorithm looks servers up in HAProxy's
// server map: static-rr, and the hash algorithms unless consistent.
func (t *Table) mapBased() bool {
	return t.bal.Algo == config.StaticRR || hashed(t.bal.Algo) && t.bal.Hash.Method == config.MapBased
}

// consistent reports whether the algorithm looks servers up on a
// consistent hashing ring: random, which draws a position on it, and the
// hash algorithms under `hash-type consistent`.
func (t *Table) consistent() bool {
	return t.bal.Algo == config.Random || hashed(t.bal.Algo) && t.bal.Hash.Method == config.Consistent
}

// hashed reports whether a is a hash algorithm, which `hash-type` governs.
func hashed(a config.Algo) bool {
	switch a {
	case config.Source, config.URI, config.URLParam, config.Hdr:
		return true
	}
	return false
}

// NewPicker returns a Picker for one event loop. prev is the loop's Picker
// for the previous Table of the same backend, or nil. Most algorithms
// return the Table's one shared Picker. random returns the loop's own (its
// own generator), and so does roundrobin when its rotation is too long to
// precompute: that Picker carries on prev's rotation when the servers are
// the same and the same group (active or backup servers) serves, applying
// weight and state changes as HAProxy does; it starts afresh when the group
// changes. NewPicker may allocate; call it when the loop first sees t, not
// per request.
func (t *Table) NewPicker(prev Picker) Picker {
	switch {
	case t.shared != nil:
		return t.shared
	case t.bal.Algo == config.Random:
		return newRandomPicker(t)
	default:
		bck := len(t.active) == 0 && t.bal.AllBackups
		p, _ := prev.(*rrPicker)
		if p != nil && p.bck != bck {
			p = nil
		}
		return newRRPicker(t, p, bck)
	}
}

// Dynamic reports whether HAProxy lets weights of a backend balanced by b
// change at run time (`set weight` to values other than 0% and 100%):
// static-rr and the map-based hash algorithms are static, the hash
// algorithms under `hash-type consistent` dynamic.
func Dynamic(b config.Balance) bool {
	switch b.Algo {
	case config.RoundRobin, config.LeastConn, config.First, config.Random:
		return true
	}
	return hashed(b.Algo) && b.Hash.Method == config.Consistent
}

// full reports whether server i has no free connection slot by HAProxy's
// rule for roundrobin, static-rr, first and random: it has a maxconn and
// either requests are queued for it or its connections reached maxconn.
func (t *Table) full(i int) bool {
	s := &t.servers[i]
	if s.MaxConn == 0 {
		return false
	}
	c := &t.counters.slots[i]
	return c.queued.Load() > 0 || int(c.active.Load()) >= t.MaxConn(i)
}
