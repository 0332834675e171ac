package engine

import (
	"net"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// relayHandler is a TCP-mode proxy built only from the transport pieces:
// every client gets a server connection dialled on its loop, then a tunnel.
type relayHandler struct {
	addr     *net.TCPAddr
	timeout  time.Duration // connect timeout
	idle     time.Duration // tunnel timeout
	dial     dialer        // nil: the default
	connects chan error    // outcome of every dial, if not nil
	ended    chan error    // outcome of every tunnel, if not nil
}

func (h *relayHandler) Accept(l *Loop, _ *Listener, c gnet.Conn) Endpoint {
	rc := &relayClient{h: h, l: l, c: c}
	rc.up.Init(l, rc)
	return rc
}

func (h *relayHandler) Drain(*Loop) {}

// relayClient is a client of relayHandler and the owner of its Upstream.
type relayClient struct {
	h      *relayHandler
	l      *Loop
	c      gnet.Conn
	up     Upstream
	closed bool
}

func (rc *relayClient) OnOpen(gnet.Conn) gnet.Action {
	d := rc.h.dial
	if d == nil {
		d = dialConnect
	}
	if err := rc.up.dial(d, rc.h.addr, rc.h.timeout); err != nil {
		return gnet.Close
	}
	return gnet.None
}

// OnTraffic keeps what the client sends before the tunnel starts: the
// tunnel forwards it.
func (rc *relayClient) OnTraffic(gnet.Conn) gnet.Action { return gnet.None }

func (rc *relayClient) OnClose(gnet.Conn, error) {
	rc.closed = true
	rc.up.Close()
}

func (rc *relayClient) OnConnect(u *Upstream, err error) {
	if rc.h.connects != nil {
		rc.h.connects <- err
	}
	if err != nil {
		_ = rc.c.Close()
		return
	}
	if rc.closed {
		u.Close()
		return
	}
	StartTunnel(rc.l, rc.c, u, rc.h.idle, func(_ *Tunnel, err error) {
		if rc.h.ended != nil {
			rc.h.ended <- err
		}
	})
}

func (rc *relayClient) OnUpstreamTraffic(*Upstream) gnet.Action { return gnet.None }

func (rc *relayClient) OnUpstreamClose(*Upstream, error) {
	if !rc.closed {
		_ = rc.c.Close()
	}
}
