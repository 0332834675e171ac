package engine

import (
	"sync"
	"sync/atomic"
	"time"
)

// `clear counters` restarts the maxima of show stat from zero (sessions,
// queues, rates); `clear counters all` every counter as well, as HAProxy
// 2.6 clears its proxies', servers' and listeners' counters. Gauges
// (current sessions, queues, rates) and states stay. A loop's traffic
// blocks are cleared on the loop, the only writer of their rates.

// clearWait bounds how long ClearCounters waits for the loops.
const clearWait = time.Second

// ClearCounters clears the maxima of every proxy and server, or, with all,
// every counter. It returns once each loop has cleared its traffic blocks
// (or clearWait has passed).
func (e *Engine) ClearCounters(all bool) {
	for _, fe := range e.fronts {
		fe.connsMax.Store(0)
	}
	e.mu.Lock()
	for _, b := range e.backends {
		b.clearCounters(all)
	}
	e.mu.Unlock()
	var wg sync.WaitGroup
	for _, ls := range e.loopStates() {
		wg.Add(1)
		if ls.l.Execute(func() { ls.stats.clear(all); wg.Done() }) != nil {
			wg.Done() // the loop has stopped
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(clearWait):
	}
}

// clearCounters clears b's and its servers' counters but their traffic
// blocks. The caller holds the engine's control mutex.
func (b *Backend) clearCounters(all bool) {
	b.connsMax.Store(0)
	b.queuedMax.Store(0)
	sn := b.snap.Load()
	sn.counters.ClearPeaks()
	if all {
		for _, c := range [...]*atomic.Int64{&b.total, &b.failed, &b.retries, &b.redisp, &b.downs} {
			c.Store(0)
		}
	}
	for _, s := range sn.servers {
		l := s.live
		l.curMax.Store(0)
		if !all {
			continue
		}
		for _, c := range [...]*atomic.Int64{&l.total, &l.picked, &l.connects, &l.reuses, &l.failed, &l.retries, &l.redisp} {
			c.Store(0)
		}
		if r := l.report.Load(); r != nil {
			cleared := *r
			cleared.Failed, cleared.Downs, cleared.Hana = 0, 0, 0
			l.report.Store(&cleared)
		}
	}
}

// clear clears the loop's traffic blocks: the rate maxima, or everything.
// It runs on the loop.
func (st *loopStats) clear(all bool) {
	for i := range st.fronts {
		st.fronts[i].clear(all)
	}
	for i := range st.backs {
		st.backs[i].clear(all)
	}
	if p := st.servers.Load(); p != nil {
		for _, t := range *p {
			if t != nil {
				t.clear(all)
			}
		}
	}
}

// clear clears t's rate maxima, or all its counts.
func (t *traffic) clear(all bool) {
	t.conns.clear(all)
	t.requests.clear(all)
	if !all {
		return
	}
	t.bytesIn.Store(0)
	t.binSize.Store(0)
	t.bytesOut.Store(0)
	for i := range t.responses {
		t.responses[i].Store(0)
	}
	t.badReqs.Store(0)
}

// clear clears c's rate maximum, or its count and its rate.
func (c *counted) clear(all bool) {
	if all {
		c.n.Store(0)
	}
	c.rate.clear(all)
}

// clear clears r's maximum, which starts again from the next period on
// (the current one has been counted), or r itself.
func (r *rate) clear(all bool) {
	r.peak.Store(0)
	r.floor.Store(period(r.curr.Load()).start())
	if all {
		r.prev.Store(0)
		r.curr.Store(0)
	}
}
