package engine

import "tether/engine/accesslog"

// `on-marked-down shutdown-sessions` ends the exchanges a server carries
// when it stops (a failed check, `set server ... health down`, maintenance
// while it ran), and `on-marked-up shutdown-backup-sessions` on an active
// server ends those of the backend's backup servers when it comes up, as
// HAProxy 2.6 shuts such streams down: a request still waiting for its
// response head gets a 502, a response under way is cut, and the log line
// says why (D or U). `shutdown sessions server` on the runtime API ends a
// server's exchanges so too, logged K. The control plane decides; each
// loop ends its own exchanges.

// shutdownOnChange ends the exchanges the change of server s of b from
// was calls for, as HAProxy's srv_update_status does. The caller holds
// e.mu.
func (e *Engine) shutdownOnChange(b *Backend, sn *snapshot, was, s *server) {
	if s.cfg.OnMarkedDown && was.cond.op != OpStopped && s.cond.op == OpStopped {
		e.shutdownSessions([]*serverLive{s.live}, accesslog.TermDown)
	}
	up := was.cond.op != OpRunning && s.cond.op == OpRunning || was.cond.op != OpStarting && s.cond.op == OpStarting
	if s.cfg.OnMarkedUp && up && !s.backup && s.weight > 0 {
		var backups []*serverLive
		for _, o := range sn.servers {
			if o.backup {
				backups = append(backups, o.live)
			}
		}
		e.shutdownSessions(backups, accesslog.TermUp)
	}
}

// ShutdownServerSessions ends the exchanges server srv of backend carries,
// as `shutdown sessions server` does: each is logged as killed by an
// administrator (K), a request still waiting for its response head gets a
// 502 and a response under way is cut. It returns once every loop has been
// asked; the loops end their exchanges soon after.
func (e *Engine) ShutdownServerSessions(backend, srv string) error {
	e.mu.Lock()
	_, sn, i, err := e.find(backend, srv)
	e.mu.Unlock()
	if err != nil {
		return err
	}
	e.shutdownSessions([]*serverLive{sn.servers[i].live}, accesslog.TermKilled)
	return nil
}

// shutdownSessions has every loop end the exchanges carried by the servers
// with lives, logged as ended for term.
func (e *Engine) shutdownSessions(lives []*serverLive, term accesslog.Termination) {
	if len(lives) == 0 {
		return
	}
	e.statesMu.Lock()
	states := append([]*loopState(nil), e.states...)
	e.statesMu.Unlock()
	for _, ls := range states {
		_ = ls.l.Execute(func() { ls.shutdownSessions(lives, term) })
	}
}

// shutdownSessions ends the loop's exchanges carried by the servers with
// lives.
func (ls *loopState) shutdownSessions(lives []*serverLive, term accesslog.Termination) {
	for cc := ls.clients.next; cc != &ls.clients; {
		next := cc.next
		if s := cc.up; s != nil && s.cc == cc {
			for _, l := range lives {
				if s.srv.live == l {
					s.shutdown(term)
					break
				}
			}
		}
		cc = next
	}
}

// shutdown ends the exchange s carries for term: before the response head
// the client gets a 502, after it the response is cut where it stands.
func (s *serverConn) shutdown(term accesslog.Termination) {
	cc := s.cc
	if (s.state == ssConnecting || s.state == ssHead) && cc.rec.BytesOut == 0 {
		s.abandon()
		cc.fail(&reply502, term, accesslog.FinishHeaders)
		return
	}
	cc.rec.Term, cc.rec.Finish = term, accesslog.FinishData
	s.countSent()
	s.abandon()
	cc.closeNow()
}
