package engine

import (
	"tether/engine/balance"
	"tether/h1"
)

// loopState is the HTTP layer's state owned by one loop (Loop.Data): idle
// server connections per server, the balancers it picks with, recycled
// buffers and the scratch space of the callback being run. It is used only
// on its loop.
type loopState struct {
	e       *Engine
	l       *Loop
	pools   []*ServerPool    // idle server connections by server slot; nil until used
	pickers []balance.Picker // by backend index; most are shared by every loop (see balance.Table.NewPicker)
	lbs     []*balance.Table // the table each picker was made from
	xs      []*exchange      // request working states not in use
	free    []*serverConn
	iov     [][]byte   // writev segments being assembled
	scratch []byte     // response rewrites, emitted before the callback returns
	sizes   []byte     // chunk size lines, emitted before the callback returns
	resp    respRules  // what http-response rules work with, for the response head being forwarded
	fmtBuf  []byte     // a rule's replacement format, evaluated, within one callback
	valBuf  []byte     // a value a rule rewrites, within one callback
	clients clientConn // sentinel of the ring of client connections
	queue   clientConn // sentinel of the queue of waiting requests
	qtimer  Timer      // retries the queue while it is not empty
	stats   loopStats  // traffic counts (stats.go)
}

// loopStateOf returns l's state, creating it on first use (on l).
func loopStateOf(e *Engine, l *Loop) *loopState {
	if ls, ok := l.Data.(*loopState); ok {
		return ls
	}
	ls := &loopState{
		e:       e,
		l:       l,
		pickers: make([]balance.Picker, len(e.backends)),
		lbs:     make([]*balance.Table, len(e.backends)),
		iov:     make([][]byte, 0, 3*maxChunkRuns+2*h1.MaxEdits+8),
		scratch: make([]byte, 0, 4096),
		sizes:   make([]byte, 0, maxChunkRuns*20),
		resp:    respRules{fs: newFieldSet(e.limits), arena: make([]byte, 0, e.limits.MaxRewrite)},
		fmtBuf:  make([]byte, 0, e.limits.BufSize),
		valBuf:  make([]byte, 0, e.limits.BufSize),
	}
	ls.clients.next, ls.clients.prev = &ls.clients, &ls.clients
	ls.queue.qnext, ls.queue.qprev = &ls.queue, &ls.queue
	ls.qtimer.Init(ls.serveQueue)
	ls.stats.fronts = make([]traffic, len(e.fronts))
	ls.stats.backs = make([]traffic, len(e.backends))
	e.statesMu.Lock()
	e.states = append(e.states, ls)
	e.statesMu.Unlock()
	l.Data = ls
	return ls
}

// picker returns the loop's balancer for backend b as of snapshot sn.
func (ls *loopState) picker(b *Backend, sn *snapshot) balance.Picker {
	i := b.index
	if ls.lbs[i] != sn.lb {
		ls.pickers[i] = sn.lb.NewPicker(ls.pickers[i])
		ls.lbs[i] = sn.lb
	}
	return ls.pickers[i]
}

// pool returns the loop's idle connections to srv, kept as its server
// line's pool options say (HAProxy's defaults: pool-max-conn -1, no limit,
// and pool-purge-delay 5s, see config.DefaultPoolPurgeDelay).
func (ls *loopState) pool(srv *server) *ServerPool {
	slot := srv.live.slot
	if slot >= len(ls.pools) {
		ls.pools = append(ls.pools, make([]*ServerPool, slot+1-len(ls.pools))...)
	}
	p := ls.pools[slot]
	if p == nil {
		p = new(ServerPool)
		p.Init(ls.l, srv.cfg, &srv.live.cur)
		ls.pools[slot] = p
	}
	return p
}

// exchange returns a request working state of the loop.
func (ls *loopState) exchange() *exchange {
	if n := len(ls.xs); n > 0 {
		x := ls.xs[n-1]
		ls.xs = ls.xs[:n-1]
		return x
	}
	return newExchange(ls.e.limits)
}

// putExchange recycles a request working state; beyond a bound the
// garbage collector takes it.
func (ls *loopState) putExchange(x *exchange) {
	if len(ls.xs) < 1024 {
		ls.xs = append(ls.xs, x)
	}
}

// serverConn returns a fresh server connection of the loop.
func (ls *loopState) serverConn() *serverConn {
	if n := len(ls.free); n > 0 {
		s := ls.free[n-1]
		ls.free = ls.free[:n-1]
		return s
	}
	return newServerConn(ls)
}

// release recycles a server connection whose socket has closed.
func (ls *loopState) release(s *serverConn) {
	if len(ls.free) < 1024 {
		ls.free = append(ls.free, s)
	}
}
