package engine

import (
	"bytes"
	"sync/atomic"
	"time"

	"tether/engine/config"
	"tether/h1"
)

// sessionConns is how many idle connections a client connection keeps
// for itself under http-reuse never: HAProxy's max-session-srv-conns
// default.
const sessionConns = 5

// ServerPool keeps the idle connections one loop has to one server, and
// decides as HAProxy 2.6 does for one thread which of them a request takes,
// which connections are kept after their exchange and which are purged.
//
// A connection idle after the first exchange it carried waits in the idle
// list; one idle after a later exchange, known to carry several, in the
// safe list. Within a list the oldest is taken first. A connection is
// kept when fewer than pool-max-conn are idle and either the safe list is
// empty (and, for a connection of the idle list, the idle list too) or the
// connections in use and idle do not exceed what the server was seen to
// need (its estimated need, or the connections in use if more, plus
// pool-low-conn). Every pool-purge-delay while connections are idle, half
// the excess over the need (rounded up) and one more are closed, the
// oldest first, idle list before safe list; the estimate then moves half
// way towards the highest use of the period (at least to it). HAProxy
// also weighs the process's file descriptors in use (tune.pool-low-fd-ratio
// and tune.pool-high-fd-ratio, which tether refuses): tether assumes
// there are few, as in HAProxy's usual case.
//
// HAProxy counts these per server; tether keeps them per loop, with the
// server's connections in use counted over every loop: with one loop (one
// thread in HAProxy) the two match exactly, with several each loop keeps
// up to pool-max-conn idle connections of its own and never takes one from
// another loop (so pool-low-conn, the bound below which HAProxy's threads
// stop taking each other's connections, only weighs on what is kept).
//
// A ServerPool is used only on its loop's goroutine; its zero value is
// unusable, call Init.
type ServerPool struct {
	loop    *Loop
	idle    Pool          // connections idle after their first exchange
	safe    Pool          // connections idle after a later one
	max     int           // pool-max-conn: -1 for no limit
	low     int           // pool-low-conn
	purge   time.Duration // pool-purge-delay: 0 keeps no connection
	used    *atomic.Int64 // the server's connections in use, on every loop
	maxUsed int           // the most in use since the last purge
	estNeed int           // the estimated need
	timer   Timer         // the next purge, pending while connections are idle
}

// Pool is one list of a ServerPool, oldest connection first, or the idle
// connections a client connection keeps for itself (http-reuse never). A
// connection that closes or speaks while idle leaves it by itself.
type Pool struct {
	oldest *Upstream
	newest *Upstream
	n      int
	next   *Pool // where Get looks when this list is empty
}

// Init prepares p on loop l for the server cfg, whose connections in use
// used counts.
func (p *ServerPool) Init(l *Loop, cfg *config.Server, used *atomic.Int64) {
	p.loop, p.used = l, used
	p.max, p.low, p.purge = cfg.PoolMaxConn, cfg.PoolLowConn, cfg.PoolPurgeDelay
	p.timer.Init(p.purgeIdle)
}

// Len returns the number of idle connections.
func (p *ServerPool) Len() int { return p.idle.n + p.safe.n }

// From returns the list a request looks into first for an idle
// connection, or nil when it must not reuse one: a request after the
// first of its client connection takes from the idle list then the safe
// one; a first request only with http-reuse aggressive (from the safe
// list) or always (safe, then idle).
func (p *ServerPool) From(notFirst bool, mode config.HTTPReuse) *Pool {
	if p.max == 0 || p.Len() == 0 {
		return nil
	}
	switch {
	case notFirst && mode != config.ReuseNever:
		p.idle.next, p.safe.next = &p.safe, nil
		return &p.idle
	case mode == config.ReuseAggressive:
		p.safe.next = nil
		return &p.safe
	case mode == config.ReuseAlways:
		p.safe.next, p.idle.next = &p.idle, nil
		return &p.safe
	}
	return nil
}

// Use records that a request has taken a connection, new or idle, once
// it is counted in use: the highest use feeds the estimated need.
func (p *ServerPool) Use() {
	n := int(p.used.Load())
	p.maxUsed = max(p.maxUsed, n)
	p.estNeed = max(p.estNeed, n)
}

// Park keeps u, at the end of an exchange, in the safe list when that
// exchange was not u's first, else in the idle list. It returns false,
// leaving u attached, when the pool does not want u or u is not
// connected on p's loop (or is paused by a Valve); the caller then
// closes u. u must no longer be counted in use.
func (p *ServerPool) Park(u *Upstream, notFirst bool) bool {
	if p.purge <= 0 || p.max >= 0 && p.Len() >= p.max || !parkable(u, p.loop) {
		return false
	}
	alone := p.safe.n == 0 && (notFirst || p.idle.n == 0)
	used := int(p.used.Load()) + 1 // HAProxy still counts u
	if !alone && used+p.Len() > max(used, p.estNeed)+p.low {
		return false
	}
	l := &p.idle
	if notFirst {
		l = &p.safe
	}
	l.append(u)
	if !p.timer.Pending() {
		p.loop.Schedule(&p.timer, p.purge)
	}
	return true
}

// purgeIdle is p's timer: it closes half the idle connections in excess
// of the need.
func (p *ServerPool) purgeIdle() {
	n := p.Len()
	if n == 0 {
		return
	}
	used := int(p.used.Load())
	excess := used + n - max(p.maxUsed, p.estNeed)
	p.estNeed = max((p.estNeed+p.maxUsed)/2, p.maxUsed)
	p.maxUsed = used
	if excess > 0 {
		// HAProxy closes half the excess, rounded up, plus one.
		kill := excess/2 + excess&1 + 1
		for ; kill > 0 && p.idle.oldest != nil; kill-- {
			p.idle.oldest.Close()
		}
		for ; kill > 0 && p.safe.oldest != nil; kill-- {
			p.safe.oldest.Close()
		}
	}
	if p.Len() > 0 {
		p.loop.Schedule(&p.timer, p.purge)
	}
}

// privateAuth reports whether r, a response head in buf, asks for NTLM or
// Negotiate authentication: a 401 with a WWW-Authenticate value, or a 407
// with a Proxy-Authenticate one, starting with "NTLM" or "Nego" in any
// case. As HAProxy, the connection is then private: kept for its client
// connection alone, whatever the http-reuse mode, as such schemes
// authenticate the connection rather than the request.
func privateAuth(r *h1.Response, buf []byte) bool {
	var name string
	switch r.Status {
	case 401:
		name = "WWW-Authenticate"
	case 407:
		name = "Proxy-Authenticate"
	default:
		return false
	}
	for i := r.Find(buf, name, 0); i >= 0; i = r.Find(buf, name, i+1) {
		v := r.Fields[i].Value.Bytes(buf)
		for len(v) > 0 {
			item := v
			if j := bytes.IndexByte(v, ','); j >= 0 {
				item, v = v[:j], v[j+1:]
			} else {
				v = nil
			}
			item = bytes.TrimLeft(item, " \t")
			if len(item) >= 4 && (h1.EqualFold(item[:4], "NTLM") || h1.EqualFold(item[:4], "Nego")) {
				return true
			}
		}
	}
	return false
}

// parkable reports whether u is connected on l and not paused.
func parkable(u *Upstream, l *Loop) bool {
	return u.state == upOpen && u.conn != nil && u.loop == l
}

// Keep keeps u, at the end of an exchange, in a client connection's own
// list of at most n connections. It returns false as ServerPool.Park.
func (p *Pool) Keep(u *Upstream, n int) bool {
	if p.n >= n || !parkable(u, u.loop) {
		return false
	}
	p.append(u)
	return true
}

// Len returns the number of connections in p.
func (p *Pool) Len() int { return p.n }

// Get takes the oldest connection of p, or of the list after it when p is
// empty, attached again, or nil. The server may still have closed it just
// now (its FIN not yet read): a request on a reused connection must be
// retried on a new one if the connection closes before any response byte.
func (p *Pool) Get() *Upstream {
	l := p
	if l.oldest == nil && l.next != nil {
		l = l.next
	}
	u := l.oldest
	if u == nil {
		return nil
	}
	l.remove(u)
	u.pool = l // where Put returns it
	u.state = upOpen
	return u
}

// Put returns u, just taken by Get and not used, to the head of the list
// it came from.
func (p *Pool) Put(u *Upstream) bool {
	l := u.pool
	if l == nil || !parkable(u, u.loop) {
		return false
	}
	u.state = upPooled
	u.older, u.newer = nil, l.oldest
	if l.oldest != nil {
		l.oldest.older = u
	} else {
		l.newest = u
	}
	l.oldest = u
	l.n++
	return true
}

// take takes the oldest connection of p to srv, attached again, or nil: a
// client connection's own list may hold connections to several servers.
func (p *Pool) take(srv *server) *serverConn {
	for u := p.oldest; u != nil; u = u.newer {
		if s := u.Handler().(*serverConn); s.srv.live == srv.live {
			p.remove(u)
			u.state = upOpen
			return s
		}
	}
	return nil
}

// Close closes every connection of p (its client connection closes).
func (p *Pool) Close() {
	for p.oldest != nil {
		p.oldest.Close()
	}
}

// append parks u, newest.
func (p *Pool) append(u *Upstream) {
	u.state = upPooled
	u.pool = p
	u.older, u.newer = p.newest, nil
	if p.newest != nil {
		p.newest.newer = u
	} else {
		p.oldest = u
	}
	p.newest = u
	p.n++
}

// remove unlinks u, pooled in p.
func (p *Pool) remove(u *Upstream) {
	if u.newer != nil {
		u.newer.older = u.older
	} else {
		p.newest = u.older
	}
	if u.older != nil {
		u.older.newer = u.newer
	} else {
		p.oldest = u.newer
	}
	u.older, u.newer, u.pool = nil, nil, nil
	p.n--
}
