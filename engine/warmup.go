package engine

import (
	"time"

	"tether/engine/balance"
)

// A server with `slowstart` comes up starting (OpStarting): for the slow
// start's length its share of the weight and its maxconn grow with the
// whole seconds since it came up, as HAProxy 2.6 ramps them, then it runs
// and is logged UP once more. As HAProxy's warm-up task, one timer per
// server steps the ramp every second, counted from the step before (from
// when the server came up for the first); a server that comes up again
// while its timer is pending keeps that timer. HAProxy computes the
// maxconn at each use from the clock's second; tether sets it at the
// steps, so it may lag HAProxy's by up to a second.

// warmStep is how often a slow start is stepped: HAProxy's warm-up task
// means to step every twentieth of the slow start or every second,
// whichever is longer, but compares seconds with milliseconds, so it steps
// every second.
const warmStep = time.Second

// warmups are the pending slow start timers.
type warmups struct {
	timers map[*serverLive]*time.Timer
	off    bool // the engine is stopping: no more steps
}

// warmUp makes sure a timer steps the slow start of the server of b with
// live. The caller holds e.mu.
func (e *Engine) warmUp(b *Backend, live *serverLive) {
	if e.warm.off || e.warm.timers[live] != nil {
		return
	}
	if e.warm.timers == nil {
		e.warm.timers = make(map[*serverLive]*time.Timer)
	}
	e.warm.timers[live] = time.AfterFunc(warmStep, func() { e.warmTick(b, live) })
}

// warmTick is one step of a slow start: the server's share grows, or, the
// slow start over, it runs with all of its weight.
func (e *Engine) warmTick(b *Backend, live *serverLive) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.warm.off {
		return
	}
	delete(e.warm.timers, live)
	sn := b.snap.Load()
	i := sn.indexOf(live)
	if i < 0 || sn.servers[i].cond.op != OpStarting {
		return
	}
	now := time.Now()
	// The UP that ends a slow start gives no reason; a tracking server's
	// names the server it tracks, as HAProxy words it.
	e.changeLocked(b, sn, i, cause{via: sn.servers[i].trackName()}, func(s *server) {
		if s.warming(now) {
			s.warmAt(now, balance.Dynamic(b.proxy.Balance))
			return
		}
		s.cond.op = OpRunning
		s.since = now
	})
	if sn = b.snap.Load(); i < len(sn.servers) && sn.servers[i].live == live && sn.servers[i].cond.op == OpStarting {
		e.warmUp(b, live)
	}
}

// stopWarmUps stops every slow start timer, for good.
func (e *Engine) stopWarmUps() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.warm.off = true
	for live, t := range e.warm.timers {
		t.Stop()
		delete(e.warm.timers, live)
	}
}

// warming reports whether now falls within s's slow start, counted in
// whole seconds from when it came up, as HAProxy counts it.
func (s *server) warming(now time.Time) bool {
	e := now.Unix() - s.since.Unix()
	return e >= 0 && e < int64(s.cfg.Slowstart/time.Second)
}

// warmAt sets what a slow start allows s at now, as HAProxy's
// server_recalc_eweight and srv_dynamic_maxconn compute it, with e the
// whole seconds since s came up and ss the slow start's: under a dynamic
// algorithm, (16e + ss) / ss sixteenths of its weight; a maxconn of e / ss
// of its own, in whole percent, at least 1. A server that is not starting,
// or past its slow start, gets all of both.
func (s *server) warmAt(now time.Time, dynamic bool) {
	s.warm, s.limit = balance.Scale, s.maxConn
	if s.cond.op != OpStarting || !s.warming(now) {
		return
	}
	ss := int64(s.cfg.Slowstart / time.Second)
	e := now.Unix() - s.since.Unix()
	if dynamic {
		s.warm = int((balance.Scale*e + ss) / ss)
	}
	if s.maxConn > 0 {
		s.limit = max(1, int(int64(s.maxConn)*(100*e/ss)/100))
	}
}
