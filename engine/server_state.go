package engine

import (
	"cmp"
	"net/netip"
	"time"

	"tether/engine/balance"
	"tether/persist"
)

// AdminFlags are a server's administrative state bits, as HAProxy keeps
// them (srv_admin_state): why the server is in maintenance or drained.
type AdminFlags uint8

const (
	AdminFMaint AdminFlags = 0x01 // forced maintenance (runtime API)
	AdminIMaint AdminFlags = 0x02 // maintenance inherited from a tracked server
	AdminCMaint AdminFlags = 0x04 // maintenance from the configuration (`disabled`)
	AdminFDrain AdminFlags = 0x08 // forced drain
	AdminIDrain AdminFlags = 0x10 // drain inherited from a tracked server
	AdminRMaint AdminFlags = 0x20 // maintenance because the address is not resolved
	AdminHMaint AdminFlags = 0x40 // the FQDN was set at run time (a slot's SRV record); not a maintenance
)

// AdminMaintFlags are the administrative flags that stop a server.
const AdminMaintFlags = AdminFMaint | AdminIMaint | AdminRMaint

// OpState is a server's operational state (srv_op_state).
type OpState uint8

const (
	OpStopped  OpState = 0 // down
	OpStarting OpState = 1 // coming up (slowstart)
	OpRunning  OpState = 2 // up
	OpStopping OpState = 3 // up but taking persistent traffic only (NOLB)
)

// CheckState are the bits of a server's health check state as `show
// servers state` dumps them (CHK_ST_*).
type CheckState uint8

const (
	CheckInProgress CheckState = 0x01 // a check is running (ServerInfo only)
	CheckConfigured CheckState = 0x02 // the server line has `check`
	CheckEnabled    CheckState = 0x04 // checks run (`enable health`)
	CheckPaused     CheckState = 0x08 // checks are paused (server `disabled` in the configuration)
)

// AdminState is what `set server ... state` asks for.
type AdminState uint8

const (
	AdminReady AdminState = iota // leave forced maintenance and drain
	AdminDrain                   // stop taking new non-persistent traffic
	AdminMaint                   // stop taking any traffic
)

// Health is the operational state `set server ... health` forces, as a
// health check would.
type Health uint8

const (
	HealthUp       Health = iota // running, check counter at its maximum
	HealthStopping               // stopping (NOLB)
	HealthDown                   // stopped, check counter at zero
)

// condition is the part of a server that HAProxy keeps as separate
// administrative and operational states; persist.State is derived from it.
// It is a value: a change copies it into a new server of a new snapshot.
type condition struct {
	admin  AdminFlags
	op     OpState
	health int        // check health counter: 0 to rise+fall-1, up from rise
	check  CheckState // check state bits
	rise   int        // consecutive successes that bring the server up
	fall   int        // consecutive failures that take it down
	slow   bool       // the server has a slow start: it comes up starting
	agent  agentCond  // the agent check's part
}

// comeUp brings a stopped or stopping server up: starting when it has a
// slow start, running otherwise, as HAProxy's srv_set_running. A server
// already up stays as it is.
func (c *condition) comeUp() {
	switch {
	case c.op == OpStarting || c.op == OpRunning:
	case c.slow:
		c.op = OpStarting
	default:
		c.op = OpRunning
	}
}

// persistState is the state persistence and balancing see.
func (c *condition) persistState() persist.State {
	switch {
	case c.admin&AdminMaintFlags != 0:
		return persist.Maint
	case c.op == OpStopped:
		return persist.Down
	case c.admin&(AdminFDrain|AdminIDrain) != 0 || c.op == OpStopping:
		return persist.Drain
	}
	return persist.Ready
}

// enterMaint sets maintenance flags: the server stops, and its checks
// pause. Entering maintenance sets the check counter to zero when checks
// are enabled or the server was running, as HAProxy does.
func (c *condition) enterMaint(f AdminFlags) {
	if c.admin&AdminMaintFlags == 0 {
		if c.check&CheckEnabled != 0 {
			c.check |= CheckPaused
			c.health = 0
		}
		if c.op != OpStopped {
			c.health = 0
		}
	}
	c.admin |= f
	c.op = OpStopped
}

// leaveMaint clears maintenance flags. Leaving maintenance brings the
// server up at once, as HAProxy does: its checks resume with their
// counter at rise, so that the next failed check takes it down again.
func (c *condition) leaveMaint(f AdminFlags) {
	was := c.admin&AdminMaintFlags != 0
	c.admin &^= f
	if !was || c.admin&AdminMaintFlags != 0 {
		return
	}
	if c.check&CheckEnabled != 0 {
		c.check &^= CheckPaused
		c.health = c.rise
	}
	c.comeUp()
}

// checkDone applies the result of a finished health check to the health
// counter and the operational state, as HAProxy does: a failure counts
// down (to zero once below rise), a success counts up (to the top once at
// rise); the server stops at zero and runs again from rise, or stops
// taking new traffic on a conditional pass. A server in maintenance keeps
// its state. It reports whether the failure counts as a failed check (the
// counter was above zero).
func (c *condition) checkDone(r CheckResult) (failed bool) {
	top := c.rise + c.fall - 1
	switch r {
	case CheckResultFailed:
		if c.health > 0 {
			failed = true
			if c.health--; c.health < c.rise {
				c.health = 0
			}
		}
	case CheckResultPassed, CheckResultCondPass:
		if c.health < top {
			if c.health++; c.health >= c.rise {
				c.health = top
			}
		}
	default:
		return false
	}
	if c.admin&AdminMaintFlags != 0 {
		return failed
	}
	switch {
	case r == CheckResultFailed:
		if c.health == 0 {
			c.op = OpStopped
		}
	case c.health < c.rise || c.agent.holdsDown():
	case r == CheckResultCondPass:
		c.op = OpStopping
	default:
		c.comeUp()
	}
	return failed
}

// interval is how long s waits for its next check: its `inter` while it is
// fully up, its `downinter` while fully down, its `fastinter` in between.
func (c *condition) interval(s *server) time.Duration {
	inter := cmp.Or(s.cfg.Inter, defaultCheckInter)
	switch {
	case c.check&CheckConfigured != 0 && c.health == c.rise+c.fall-1:
		return inter
	case c.op == OpStopped && c.health == 0:
		return cmp.Or(s.cfg.DownInter, inter)
	}
	return cmp.Or(s.cfg.FastInter, inter)
}

// setAdmin applies `set server ... state`.
func (c *condition) setAdmin(st AdminState) {
	c.admin &^= AdminFDrain
	switch st {
	case AdminMaint:
		c.enterMaint(AdminFMaint)
	case AdminDrain:
		c.leaveMaint(AdminFMaint)
		c.admin |= AdminFDrain
	default:
		c.leaveMaint(AdminFMaint)
	}
}

// setHealth applies `set server ... health`. A server in maintenance
// stays stopped.
func (c *condition) setHealth(h Health) {
	switch h {
	case HealthUp:
		c.health = c.rise + c.fall - 1
		c.comeUp()
	case HealthStopping:
		c.op, c.health = OpStopping, c.rise+c.fall-1
	case HealthDown:
		c.op, c.health = OpStopped, 0
	}
	if c.admin&AdminMaintFlags != 0 {
		c.op = OpStopped
	}
}

// changeCondition builds a new snapshot of backend with change applied to
// server's condition, records the time of the change when the state
// persistence sees changed, and logs the change as caused by why. It
// returns after the swap.
func (e *Engine) changeCondition(backend, srv string, why cause, change func(c *condition)) error {
	return e.changeServer(backend, srv, why, func(s *server) { change(&s.cond) })
}

// changeServer builds a new snapshot of backend with change applied to a
// copy of server, records the time of the change when the state
// persistence sees changed, and logs the change as caused by why. A
// change that changes nothing makes no snapshot. It returns after the
// swap.
func (e *Engine) changeServer(backend, srv string, why cause, change func(s *server)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, sn, i, err := e.find(backend, srv)
	if err != nil {
		return err
	}
	e.changeLocked(b, sn, i, why, change)
	return nil
}

// changeLocked is changeServer for server i of snapshot sn of b, with the
// control mutex held: the change is logged, then passed on to the servers
// tracking this one.
func (e *Engine) changeLocked(b *Backend, sn *snapshot, i int, why cause, change func(s *server)) {
	s := sn.servers[i].clone()
	change(s)
	if was := sn.servers[i]; was.cond.admin&AdminMaintFlags != 0 && s.cond.admin&AdminMaintFlags == 0 {
		if t, ok := e.tracked[s.live]; ok {
			// A tracking server leaves maintenance in its tracked
			// server's state.
			tsn := t.b.snap.Load()
			if j := tsn.indexOf(t.live); j >= 0 {
				s.cond.follow(tsn.servers[j].cond.op)
			}
		}
	}
	if *s == *sn.servers[i] {
		return
	}
	now := time.Now()
	s.settle(now)
	was := sn.servers[i]
	if s.cond.op == OpStarting && was.cond.op != OpStarting {
		s.since = now // the slow start counts from here, as HAProxy's last_change
	}
	if s.cond.op != was.cond.op || s.weight != was.weight {
		s.warmAt(now, balance.Dynamic(b.proxy.Balance))
	}
	if s.cond.op == OpStarting {
		e.warmUp(b, s.live)
	}
	servers := append([]*server(nil), sn.servers...)
	servers[i] = s
	next := b.build(servers, sn.dynamic, sn.key, sn.counters)
	b.snap.Store(next)
	b.logChange(sn, next, i, why)
	e.shutdownOnChange(b, next, was, s)
	e.propagate(b, sn.servers[i], s)
}

// settle derives s.state from its condition, and s.since when it changed.
func (s *server) settle(now time.Time) {
	if st := s.cond.persistState(); st != s.state {
		if s.state.Stopped() && !st.Stopped() {
			s.downFor += wholeSeconds(now) - wholeSeconds(s.since)
		}
		s.state = st
		s.since = now
	}
}

// downtime is how long s has been stopped in all, in whole seconds as
// HAProxy counts it.
func (s *server) downtime(now time.Time) time.Duration {
	if !s.state.Stopped() {
		return s.downFor
	}
	return s.downFor + wholeSeconds(now) - wholeSeconds(s.since)
}

// wholeSeconds is t as a count of whole seconds, the clock HAProxy dates
// state changes with.
func wholeSeconds(t time.Time) time.Duration { return time.Duration(t.Unix()) * time.Second }

// SetServerAdmin puts a server in the ready, drain or maint state, as
// `set server ... state` does.
func (e *Engine) SetServerAdmin(backend, srv string, st AdminState) error {
	return e.changeCondition(backend, srv, cause{}, func(c *condition) { c.setAdmin(st) })
}

// SetServerHealth forces a server's operational state as a health check
// would, as `set server ... health` does.
func (e *Engine) SetServerHealth(backend, srv string, h Health) error {
	return e.changeCondition(backend, srv, cause{reason: "changed from CLI"}, func(c *condition) { c.setHealth(h) })
}

// SetHealthCheck enables or disables a server's health check (`enable
// health`, `disable health`).
func (e *Engine) SetHealthCheck(backend, srv string, enabled bool) error {
	return e.changeCondition(backend, srv, cause{}, func(c *condition) {
		if enabled {
			c.check |= CheckEnabled
		} else {
			c.check &^= CheckEnabled
		}
	})
}

// SetServerState sets a server's state as persistence sees it: ready and
// drain leave forced maintenance, maint enters it, down stops the server
// as a failed check would.
func (e *Engine) SetServerState(backend, srv string, st persist.State) error {
	return e.changeCondition(backend, srv, cause{}, func(c *condition) {
		switch st {
		case persist.Ready:
			c.setAdmin(AdminReady)
			c.setHealth(HealthUp)
		case persist.Drain:
			c.setAdmin(AdminDrain)
			c.setHealth(HealthUp)
		case persist.Maint:
			c.setAdmin(AdminMaint)
		case persist.Down:
			c.admin &^= AdminFMaint | AdminFDrain
			c.setHealth(HealthDown)
		}
	})
}

// setResolved records the outcome of resolving a server's name, the
// change logged as caused by why: with ok, the server takes addr (its port
// kept) and leaves resolution maintenance (RMAINT); without, it enters it.
func (e *Engine) setResolved(backend, srv string, addr netip.Addr, ok bool, why cause) error {
	return e.changeServer(backend, srv, why, func(s *server) {
		if !ok {
			s.cond.enterMaint(AdminRMaint)
			return
		}
		s.changeAddr(netip.AddrPortFrom(addr, s.addr.Port()))
		s.cond.leaveMaint(AdminRMaint)
	})
}
