package balance

import "sync/atomic"

// Load is what the maxconn of a backend's servers with a `minconn` follows,
// as HAProxy's srv_dynamic_maxconn computes it: the backend's connections
// (HAProxy's beconn, which the engine counts) against its fullconn. Below
// fullconn such a server takes at most MaxConn times the load over
// fullconn connections, and never fewer than MinConn; from fullconn on, its
// MaxConn. The engine keeps one Load per backend and hands it to each of
// the backend's Counters with Follow. It is safe for concurrent use.
type Load struct {
	conns *atomic.Int64
	full  atomic.Int64
}

// NewLoad returns the Load of a backend whose connections conns counts,
// with a fullconn of 1 until SetFullConn.
func NewLoad(conns *atomic.Int64) *Load {
	l := &Load{conns: conns}
	l.full.Store(1)
	return l
}

// SetFullConn sets the backend's fullconn, as configured or computed (at
// least 1).
func (l *Load) SetFullConn(n int) { l.full.Store(int64(max(1, n))) }

// FullConn returns the backend's fullconn.
func (l *Load) FullConn() int { return int(l.full.Load()) }

// MaxConn returns the maxconn of a server whose maxconn is maxConn and
// minconn minConn under the load now. A minConn of 0, or not below
// maxConn, is a static maxconn; so is any under a nil Load.
func (l *Load) MaxConn(maxConn, minConn int) int {
	if l == nil || minConn <= 0 || minConn >= maxConn {
		return maxConn
	}
	full, be := l.full.Load(), l.conns.Load()
	if be >= full {
		return maxConn
	}
	return max(minConn, int(be*int64(maxConn)/full))
}

// Follow makes the Tables built with c from now on follow l for the
// servers with a MinConn. Call it before the first NewTable with c.
func (c *Counters) Follow(l *Load) { c.load = l }

// MaxConn returns server i's maxconn as it stands now: MaxConn, or with a
// MinConn what the backend's Load allows; 0 means unlimited.
func (t *Table) MaxConn(i int) int {
	s := &t.servers[i]
	return t.counters.load.MaxConn(s.MaxConn, s.MinConn)
}
