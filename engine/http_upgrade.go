package engine

import "tether/engine/accesslog"

// An exchange whose server answers 101 to a forwarded upgrade (or 2xx to
// CONNECT) becomes a tunnel, which needs both gnet connections on the
// loop. A client may have sent tunnel bytes ahead of that answer and been
// paused for it (http_ahead.go), as HAProxy stops reading such a client
// once its buffer is full: its socket is then off the loop, its responses
// go out through a Tail, and what it had sent waits in its inbox. Until
// the client is back, the exchange stays in ssUpgraded: what the server
// sends after its 101 goes out through the client's Tail (the server is
// paused if the Tail backs up), the client comes back once its Tail has
// drained, and the tunnel starts when both sides are on the loop, the
// client's kept bytes first.

// startTunnel turns the exchange into a tunnel after the 101 is forwarded,
// or waits in ssUpgraded for the client or the server to be back on the
// loop.
func (s *serverConn) startTunnel() {
	cc := s.cc
	if cc.valve.Paused() || s.valve.Paused() {
		s.state = ssUpgraded
		s.pumpUpgraded()
		return
	}
	if k := cc.in.kept; len(k) > 0 {
		// Sent ahead of the 101 and kept over a pause: the tunnel's first bytes.
		cc.in.kept = nil
		if _, err := s.Conn().Write(k); err != nil || cc.up != s {
			return
		}
	}
	s.detach()
	cc.state = csTunnel
	cc.timer.Stop()
	d := cc.be.proxy.Timeouts.Tunnel
	if d <= 0 {
		d = cc.fe.timeouts.Client
	}
	cc.logHTTP(cc.rec.Status, cc.rec.BytesOut)
	StartTunnel(s.ls.l, cc.c, &s.Upstream, d, func(error) {
		cc.release()
	})
	s.ls.release(s)
}

// pumpUpgraded moves the exchange on in ssUpgraded. It runs when the
// server sends, when either side comes back on the loop and after the 101
// is forwarded: it starts the tunnel once both sides are on the loop, asks
// for the server's return once the client is back, and otherwise forwards
// what the server sent to the paused client's Tail. Nothing is written to
// the Tail while the client is being enrolled again: its last bytes must
// not be overtaken.
func (s *serverConn) pumpUpgraded() {
	cc := s.cc
	switch {
	case !cc.valve.Paused() && !s.valve.Paused():
		s.startTunnel()
		return
	case !cc.valve.Paused():
		s.valve.Check() // its consumer was the client's Tail, now gone
		return
	case cc.valve.Resuming() || s.valve.Paused():
		return
	}
	if _, ok := Forward(s.Conn(), cc.out, -1); !ok {
		cc.rec.Term, cc.rec.Finish = accesslog.TermClientAbort, accesslog.FinishData
		s.abandon()
		cc.closeNow()
		return
	}
	s.armServer()
	if cc.out.OutboundBuffered() > highMark && s.valve.Pause(s.Conn(), cc.out, lowMark) == nil {
		// The client is slow, not the server: the client timeout runs
		// until the Tail drains.
		s.timer.Stop()
		if d := cc.fe.timeouts.Client; d > 0 {
			cc.ls.l.Schedule(&cc.timer, d)
		}
	}
}
