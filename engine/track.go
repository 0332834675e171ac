package engine

// A server line with `track` follows the state of another server (its
// checks, its maintenance and drain) instead of running checks of its
// own, as HAProxy's trackers do: the tracked server's operational
// changes are passed on, its maintenance and drain become the tracker's
// inherited IMAINT and IDRAIN, and each change is logged "via" the
// tracked server. Chains are followed to their end.

// tracker names a server of a backend: one that tracks another, or the
// one it tracks.
type tracker struct {
	b    *Backend
	live *serverLive
}

// linkTrackers records who tracks whom, from the configuration, and gives
// trackers the maintenance and drain their tracked servers start with, as
// HAProxy does at start (without logging).
func (e *Engine) linkTrackers() {
	for _, b := range e.backends {
		for _, s := range b.snap.Load().servers {
			if s.cfg.Track != nil {
				e.linkTracker(b, s)
			}
		}
	}
	for _, b := range e.backends {
		for _, s := range b.snap.Load().servers {
			if s.cfg.Track == nil {
				e.inheritAtStart(s)
			}
		}
	}
}

// linkTracker records that server s of b tracks the server its line
// names. The caller holds e.mu, or is New.
func (e *Engine) linkTracker(b *Backend, s *server) {
	tb := e.byName[s.cfg.TrackBackend]
	tsn := tb.snap.Load()
	i := tsn.index(s.cfg.Track.Name)
	if i < 0 {
		return
	}
	t := tsn.servers[i]
	if e.trackers == nil {
		e.trackers = make(map[*serverLive][]tracker)
		e.tracked = make(map[*serverLive]tracker)
	}
	e.trackers[t.live] = append(e.trackers[t.live], tracker{b, s.live})
	e.tracked[s.live] = tracker{tb, t.live}
}

// unlinkTracker forgets a server being removed as a tracker. The caller
// holds e.mu.
func (e *Engine) unlinkTracker(live *serverLive) {
	t, ok := e.tracked[live]
	if !ok {
		return
	}
	delete(e.tracked, live)
	trs := e.trackers[t.live]
	for i, tr := range trs {
		if tr.live == live {
			e.trackers[t.live] = append(trs[:i:i], trs[i+1:]...)
			break
		}
	}
}

// inheritAtStart passes the maintenance and drain of server t on to its
// trackers, down their chains.
func (e *Engine) inheritAtStart(t *server) {
	maint, drain := t.cond.admin&(AdminMaintFlags|AdminCMaint) != 0, t.draining()
	for _, tr := range e.trackers[t.live] {
		sn := tr.b.snap.Load()
		i := sn.indexOf(tr.live)
		s := sn.servers[i].clone()
		if maint {
			s.cond.enterMaint(AdminIMaint)
		}
		if drain {
			s.cond.admin |= AdminIDrain
		}
		s.settle(s.since)
		servers := append([]*server(nil), sn.servers...)
		servers[i] = s
		tr.b.snap.Store(tr.b.build(servers, sn.dynamic, sn.key, sn.counters))
		e.inheritAtStart(s)
	}
}

// propagate passes the change of server was into now, of backend b, on to
// the servers tracking it. The caller holds e.mu.
func (e *Engine) propagate(b *Backend, was, now *server) {
	trs := e.trackers[now.live]
	if len(trs) == 0 {
		return
	}
	wasMaint, inMaint := was.cond.admin&AdminMaintFlags != 0, now.cond.admin&AdminMaintFlags != 0
	wasDrain, inDrain := was.draining(), now.draining()
	opChanged := was.cond.op != now.cond.op
	why := cause{via: b.Name + "/" + now.name}
	// Latest linked first, as HAProxy walks its list of trackers.
	for k := len(trs) - 1; k >= 0; k-- {
		tr := trs[k]
		sn := tr.b.snap.Load()
		i := sn.indexOf(tr.live)
		if i < 0 {
			continue
		}
		e.changeLocked(tr.b, sn, i, why, func(s *server) {
			c := &s.cond
			switch {
			case !wasMaint && inMaint:
				c.enterMaint(AdminIMaint)
			case wasMaint && !inMaint:
				c.leaveMaint(AdminIMaint)
				if c.admin&AdminMaintFlags == 0 {
					c.follow(now.cond.op)
				}
			case opChanged && !inMaint && c.admin&AdminMaintFlags == 0:
				c.follow(now.cond.op)
			}
			switch {
			case !wasDrain && inDrain:
				c.admin |= AdminIDrain
			case wasDrain && !inDrain:
				c.admin &^= AdminIDrain
			}
		})
	}
}

// follow gives a tracker the operational state op of its tracked server:
// it comes up when that server is up (starting or running), through its
// own slow start if it has one, and keeps its own state while both are up.
func (c *condition) follow(op OpState) {
	if op == OpStarting || op == OpRunning {
		c.comeUp()
		return
	}
	c.op = op
}

// indexOf returns the index of the server whose live part is live, or -1.
func (sn *snapshot) indexOf(live *serverLive) int {
	for i, s := range sn.servers {
		if s.live == live {
			return i
		}
	}
	return -1
}
