package engine

import (
	"cmp"
	"context"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"
)

// Health checks run off the request path: one goroutine per checked
// server sleeps until its next check, probes the server, and applies the
// outcome through the control plane (a new snapshot when the server's
// condition changes, as the runtime API makes them). The outcome itself,
// which changes with nearly every check, lives beside the server's live
// counters and costs no snapshot.

// minSpreadInter is the shortest check interval that takes part in
// spreading the first checks over time (HAProxy's SRV_CHK_INTER_THRES).
const minSpreadInter = time.Second

// defaultCheckInter is the interval between checks of a server line
// without `inter`.
const defaultCheckInter = 2 * time.Second

// checker runs the health checks, or the agent checks, of one server.
type checker struct {
	e    *Engine
	b    *Backend
	live *serverLive // the server's identity across snapshots
	spec *checkSpec
	stop context.CancelFunc // ends run
}

// checkKey names a checker: its server, and whether it runs its agent.
type checkKey struct {
	live  *serverLive
	agent bool
}

// checkers are the engine's running checkers, by server.
type checkers struct {
	on   bool // checks were started: added servers get a checker
	off  bool // checks were stopped: none starts again
	runs map[checkKey]*checker
	wg   sync.WaitGroup
}

// startChecks starts a checker for every server with `check` and one for
// every server with `agent-check`, spreading their first checks over the
// shortest interval as HAProxy does: the n-th of N checks first runs
// after interval*n/N, the interval bounded by `max-spread-checks`.
func (e *Engine) startChecks() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.checks.on || e.checks.off {
		return
	}
	e.checks.on = true
	type pending struct {
		b     *Backend
		s     *server
		agent bool
	}
	var all []pending
	var minInter time.Duration
	for _, b := range e.backends {
		for _, s := range b.snap.Load().servers {
			if s.cond.check&CheckConfigured != 0 {
				all = append(all, pending{b, s, false})
				if in := s.cond.interval(s); in >= minSpreadInter && (minInter == 0 || in < minInter) {
					minInter = in
				}
			}
			if s.cond.agent.on {
				all = append(all, pending{b, s, true})
				if in := agentInter(s); in >= minSpreadInter && (minInter == 0 || in < minInter) {
					minInter = in
				}
			}
		}
	}
	for n, p := range all {
		in := p.s.cond.interval(p.s)
		if p.agent {
			in = agentInter(p.s)
		}
		over := max(minInter, in)
		if m := e.cfg.Global.MaxSpreadChecks; m > 0 && over > m {
			over = m
		}
		e.startChecker(p.b, p.s, p.agent, over*time.Duration(n)/time.Duration(len(all)))
	}
}

// runChecker starts the checker of server s of b, its first check after
// first. The caller holds e.mu.
func (e *Engine) runChecker(b *Backend, s *server, first time.Duration) {
	e.startChecker(b, s, false, first)
}

// startChecker starts a checker of server s of b: its health checks, or
// its agent checks. The caller holds e.mu.
func (e *Engine) startChecker(b *Backend, s *server, agent bool, first time.Duration) {
	if e.checks.runs == nil {
		e.checks.runs = make(map[checkKey]*checker)
	}
	ctx, stop := context.WithCancel(context.Background())
	c := &checker{e: e, b: b, live: s.live, spec: b.checks, stop: stop}
	e.checks.runs[checkKey{s.live, agent}] = c
	e.checks.wg.Add(1)
	go func() {
		defer e.checks.wg.Done()
		if agent {
			c.runAgent(ctx, first)
		} else {
			c.run(ctx, first)
		}
	}()
}

// stopChecker stops the checkers of a server being removed. The caller
// holds e.mu.
func (e *Engine) stopChecker(live *serverLive) {
	for _, agent := range []bool{false, true} {
		k := checkKey{live, agent}
		if c := e.checks.runs[k]; c != nil {
			c.stop()
			delete(e.checks.runs, k)
		}
	}
}

// stopChecks stops every checker and waits for them; none starts after.
func (e *Engine) stopChecks() {
	e.mu.Lock()
	e.checks.off = true
	for k, c := range e.checks.runs {
		c.stop()
		delete(e.checks.runs, k)
	}
	e.mu.Unlock()
	e.checks.wg.Wait()
}

// run checks the server until ctx is done: a check when its time comes (while
// checks are enabled and not paused by maintenance), then the next after
// the interval the server's state calls for, counted from the check's end.
// A run of observed errors brings the next check forward to fastinter
// when the server has one.
func (c *checker) run(ctx context.Context, first time.Duration) {
	t := time.NewTimer(first)
	defer t.Stop()
	next := time.Now().Add(first)
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.live.hurry: // nil, never ready, when not observed
			if s := c.current(); s != nil && s.cfg.FastInter > 0 && time.Until(next) > s.cfg.FastInter {
				t.Reset(s.cfg.FastInter)
				next = time.Now().Add(s.cfg.FastInter)
			}
			continue
		case <-t.C:
		}
		s := c.current()
		if s == nil {
			return
		}
		if s.cond.check&(CheckEnabled|CheckPaused) == CheckEnabled {
			start := time.Now()
			c.e.checkStarts(c.live)
			out := c.spec.probe(ctx, s.checkTarget(), checkConnOf(c.b, s), cmp.Or(s.cfg.Inter, defaultCheckInter), c.down)
			if ctx.Err() != nil {
				return
			}
			c.e.checkDone(c.b, c.live, out, start, time.Now())
			c.live.probing.Store(false)
			if s = c.current(); s == nil {
				return
			}
		}
		d := spread(s.cond.interval(s), c.e.cfg.Global.SpreadChecks)
		t.Reset(d)
		next = time.Now().Add(d)
	}
}

// spread varies an interval at random by up to pct percent either way, as
// `spread-checks` asks.
func spread(d time.Duration, pct int) time.Duration {
	if pct <= 0 {
		return d
	}
	r := d * time.Duration(pct) / 100
	return d - r + time.Duration(rand.Int64N(int64(2*r)+1))
}

// checkTarget is where s's checks go: its address, or the line's `addr`
// (or `set server ... check-addr`), on its port, or the line's `port` (or
// `set server ... check-port`).
func (s *server) checkTarget() netip.AddrPort {
	t := s.addr
	if a := s.checkAddr; a.IsValid() {
		t = netip.AddrPortFrom(a, t.Port())
	}
	if p := s.checkPort; p > 0 {
		t = netip.AddrPortFrom(t.Addr(), uint16(p))
	}
	return t
}

// down reports whether the checker's server is down now (or gone).
func (c *checker) down() bool {
	s := c.current()
	return s == nil || s.cond.op == OpStopped
}

// current returns the checker's server in the backend's snapshot, or nil
// once it is gone.
func (c *checker) current() *server {
	sn := c.b.snap.Load()
	if i := sn.indexOf(c.live); i >= 0 {
		return sn.servers[i]
	}
	return nil
}

// checkStarts marks a check of the server as running: as HAProxy, its
// report's result is unknown, and its code and details empty, until it
// ends.
func (e *Engine) checkStarts(live *serverLive) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := *live.checkReport()
	r.Result, r.Code, r.Desc = CheckResultUnknown, 0, ""
	live.report.Store(&r)
	live.probing.Store(true)
}

// checkDone applies a finished check to its server: the report, then the
// health counter and state (a new snapshot when they change), then the
// messages a state change logs.
func (e *Engine) checkDone(b *Backend, live *serverLive, out checkOutcome, start, end time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	sn := b.snap.Load()
	i := sn.indexOf(live)
	if i < 0 {
		return // removed while the check ran
	}
	// A check that ends after its server entered maintenance or had its
	// checks disabled still counts, as in HAProxy.
	e.applyCheck(b, sn, i, sn.servers[i].cond, out, end.Sub(start).Truncate(time.Millisecond))
}

// applyCheck applies the outcome of a check that took d (-1 for none) to
// server i of snapshot sn of b, whose condition is cond before it: as
// checkDone, for a check or an adjustment. The caller holds e.mu.
func (e *Engine) applyCheck(b *Backend, sn *snapshot, i int, cond condition, out checkOutcome, d time.Duration) {
	old := sn.servers[i]
	live := old.live
	r := *live.checkReport()
	prevStatus := r.Status
	r.Status, r.Result, r.Code, r.Desc = out.status, out.status.Result(), out.code, out.desc
	r.Duration, r.At = d, time.Now()
	if cond.checkDone(out.status.Result()) {
		r.Failed++
	}
	if r.Result == CheckResultPassed || r.Result == CheckResultCondPass {
		live.errors.Store(0) // a passing check ends a run of observed errors
	}
	live.report.Store(&r)
	why := cause{report: &r}
	if b.proxy.Options.LogHealthChecks {
		// Each check that changes the status or the counter is logged;
		// the state changes then go without the check's words.
		if r.Status != prevStatus || cond.health != old.cond.health {
			b.logCheck("Health", old, &r, &cond)
		}
		why = cause{}
	}
	e.changeLocked(b, sn, i, why, func(s *server) { s.cond = cond })
}
