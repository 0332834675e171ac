package engine

import (
	"sync/atomic"
	"time"

	"tether/engine/accesslog"
	"tether/engine/balance"
	"tether/persist"
)

// Requests wait when their server is at its maxconn (a request assigned to
// a server by persistence or use-server) or when every usable server of the
// backend is (a balanced request). Each loop keeps its waiting requests in
// arrival order and retries them when one of its own exchanges ends and on
// every tick (slots freed on other loops); a request waits at most the
// backend's `timeout queue` (`timeout connect` when unset), then gets a 503.

// queueRetry is how often a loop with waiting requests looks for slots.
const queueRetry = 10 * time.Millisecond

// full reports whether server i of the request's snapshot is at its
// maxconn.
func (cc *clientConn) full(i int) bool {
	m := cc.sn.lb.MaxConn(i)
	return m > 0 && cc.sn.counters.Active(i) >= m
}

// enqueue makes the request wait for a slot: on server i, or on the backend
// when i is balance.Full.
func (cc *clientConn) enqueue(i int) {
	cc.state = csQueue
	cc.queued = i
	cc.qmark = cc.queueTaken().Load()
	if i >= 0 {
		cc.sn.counters.Enqueue(i)
	} else {
		raiseMax(&cc.be.queuedMax, cc.be.queued.Add(1))
	}
	ls := cc.ls
	q := &ls.queue
	cc.qprev, cc.qnext = q.qprev, q
	q.qprev.qnext = cc
	q.qprev = cc
	d := cc.be.proxy.Timeouts.Queue
	if d <= 0 {
		d = cc.be.proxy.Timeouts.Connect
	}
	if d > 0 {
		ls.l.Schedule(&cc.timer, d)
	}
	if !ls.qtimer.Pending() {
		ls.l.Schedule(&ls.qtimer, queueRetry)
	}
}

// dequeue takes the request out of its loop's queue, given a slot or not:
// its wait ends (Tw). As HAProxy, the log shows its position (%sq or %bq):
// one plus the requests the queue gave a slot to while it waited.
func (cc *clientConn) dequeue(granted bool) {
	if cc.qnext == nil {
		return
	}
	cc.qprev.qnext = cc.qnext
	cc.qnext.qprev = cc.qprev
	cc.qprev, cc.qnext = nil, nil
	if cc.queued >= 0 {
		cc.sn.counters.Dequeue(cc.queued)
	} else {
		cc.be.queued.Add(-1)
	}
	taken := cc.queueTaken()
	pos := taken.Load() + 1
	if granted {
		pos = taken.Add(1)
	}
	if pos -= cc.qmark; cc.queued >= 0 {
		cc.rec.SrvQueue = int(pos)
	} else {
		cc.rec.BeQueue = int(pos)
	}
	cc.tAssign = cc.stamp()
}

// queueTaken is the taken count of the queue the request waits in.
func (cc *clientConn) queueTaken() *atomic.Int64 {
	if cc.queued >= 0 {
		return &cc.sn.servers[cc.queued].live.taken
	}
	return &cc.be.taken
}

// queueTimeout answers a request that waited too long.
func (cc *clientConn) queueTimeout() {
	cc.dequeue(false)
	cc.fail(&reply503, accesslog.TermServerTimeout, accesslog.FinishQueue)
}

// refreshQueued lets a waiting request see its backend's servers as they
// are now, as long as the list of servers is the same (its indexes stay
// valid): a balanced request then never picks a server that stopped while
// it waited. A request waiting for a server that stopped or is draining
// (or stopping) goes to the backend's queue, to be balanced anew, when
// `option redispatch` lets it, as HAProxy redistributes it.
func (cc *clientConn) refreshQueued() {
	cur := cc.be.snap.Load()
	if cur == cc.sn || cur.counters != cc.sn.counters {
		return
	}
	cc.sn = cur
	i := cc.queued
	if i < 0 || !cur.servers[i].state.Stopped() && cur.servers[i].state != persist.Drain {
		return
	}
	if o := cc.be.proxy.Options; !o.Redispatch || o.Persist || !cc.rq.MayRedispatch() {
		return
	}
	cur.counters.Dequeue(i)
	raiseMax(&cc.be.queuedMax, cc.be.queued.Add(1))
	cc.queued = -1
	cc.qmark = cc.be.taken.Load()
}

// tryDequeue starts the request if a slot is free now.
func (cc *clientConn) tryDequeue() bool {
	cc.refreshQueued()
	i := cc.queued
	if i >= 0 {
		if cc.full(i) {
			return false
		}
	} else {
		i = cc.balance(-1)
		switch i {
		case balance.Full:
			return false
		case balance.None:
			cc.dequeue(false)
			cc.timer.Stop()
			cc.fail(&reply503, accesslog.TermServerAbort, accesslog.FinishQueue)
			return true
		}
		if cc.rq.Server() >= 0 { // moved from a server that stopped
			cc.rq.Redispatch(i)
		} else {
			cc.rq.Balanced(i)
		}
	}
	cc.dequeue(true)
	cc.timer.Stop()
	cc.srv = cc.sn.servers[i]
	cc.connect()
	return true
}

// serveQueue starts the waiting requests that have a slot now, in order.
func (ls *loopState) serveQueue() {
	q := &ls.queue
	for cc := q.qnext; cc != q; {
		next := cc.qnext
		cc.tryDequeue()
		cc = next
	}
	if q.qnext != q && !ls.qtimer.Pending() {
		ls.l.Schedule(&ls.qtimer, queueRetry)
	}
}
