package engine

import (
	"errors"

	"tether/engine/accesslog"
	"tether/h1"
)

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
	t := StartTunnel(s.ls.l, cc.c, &s.Upstream, d, func(t *Tunnel, err error) {
		// As HAProxy, the exchange is logged when the tunnel ends, with
		// what went through it; a timeout counts as the client's (cD).
		switch {
		case errors.Is(err, ErrTunnelTimeout):
			cc.rec.Term, cc.rec.Finish = accesslog.TermClientTimeout, accesslog.FinishData
		case errors.Is(err, ErrTunnelServerFin):
			cc.rec.Term, cc.rec.Finish = accesslog.TermServerTimeout, accesslog.FinishData
		}
		down, up := t.Relayed()
		cc.reqBody.sent += up
		cc.logHTTP(cc.rec.Status, cc.rec.BytesOut+down)
		cc.release()
	})
	t.FinTimeouts(cc.fe.timeouts.ClientFin, cc.be.proxy.Timeouts.ServerFin)
	t.CloseOnServerEnd()
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

// webSocketKeyLen is the length of a Sec-WebSocket-Key value: sixteen bytes
// in base64.
const webSocketKeyLen = 24

// badWebSocket reports whether a head that asks for a WebSocket handshake
// (Connection lists "upgrade", Upgrade lists "websocket") lacks its key:
// a request without a Sec-WebSocket-Key of 24 characters, a response
// without a Sec-WebSocket-Accept. HAProxy 2.6 refuses such a head as it
// refuses a malformed one (400 to a client, 502 for a server).
func badWebSocket(h *h1.Header, buf []byte, response bool) bool {
	const both = h1.FlagConnUpgrade | h1.FlagWebSocket
	if h.Flags&both != both {
		return false
	}
	name := "sec-websocket-key"
	if response {
		name = "sec-websocket-accept"
	}
	for i := h.Find(buf, name, 0); i >= 0; i = h.Find(buf, name, i+1) {
		if response || h.Fields[i].Value.Len() == webSocketKeyLen {
			return false
		}
	}
	return true
}
