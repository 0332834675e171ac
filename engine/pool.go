package engine

import "time"

// Pool keeps idle connections to one server on one loop: a bounded LIFO
// stack (the most recently used connection is reused first, so the others
// age out), each connection armed with the idle timeout. A connection that
// closes or speaks while idle leaves the pool by itself. A Pool is used only
// on its loop's goroutine; its zero value is unusable, call Init.
type Pool struct {
	loop *Loop
	max  int
	idle time.Duration
	top  *Upstream
	n    int
}

// Init prepares p on loop l for at most max idle connections, each closed
// after idle without reuse.
func (p *Pool) Init(l *Loop, max int, idle time.Duration) {
	p.loop, p.max, p.idle = l, max, idle
}

// Len returns the number of idle connections.
func (p *Pool) Len() int { return p.n }

// Put parks the attached connection u. It returns false, leaving u
// attached, when the pool is full or u is not connected on p's loop (or is
// paused by a Valve); the caller then closes u.
func (p *Pool) Put(u *Upstream) bool {
	if p.n >= p.max || u.state != upOpen || u.conn == nil || u.loop != p.loop {
		return false
	}
	u.state = upPooled
	u.pool = p
	u.older, u.newer = p.top, nil
	if p.top != nil {
		p.top.newer = u
	}
	p.top = u
	p.n++
	if p.idle > 0 {
		p.loop.Schedule(&u.timer, p.idle)
	}
	return true
}

// Get takes the most recently parked connection, attached again, or nil.
// The server may still have closed it just now (its FIN not yet read): a
// request on a reused connection must be retried on a new one if the
// connection closes before any response byte.
func (p *Pool) Get() *Upstream {
	u := p.top
	if u == nil {
		return nil
	}
	p.remove(u)
	u.timer.Stop()
	u.state = upOpen
	return u
}

// Close closes every idle connection (a server was removed or stopped).
func (p *Pool) Close() {
	for p.top != nil {
		p.top.Close()
	}
}

// remove unlinks u, pooled in p.
func (p *Pool) remove(u *Upstream) {
	if u.newer != nil {
		u.newer.older = u.older
	} else {
		p.top = u.older
	}
	if u.older != nil {
		u.older.newer = u.newer
	}
	u.older, u.newer, u.pool = nil, nil, nil
	p.n--
}
