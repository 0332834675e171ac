package engine

import (
	"os"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// events is the Server seen as gnet's event handler: a type of its own so
// the callbacks stay out of Server's API.
type events Server

// OnShutdown does nothing: Stop and Shutdown do the work.
func (e *events) OnShutdown(gnet.Engine) {}

// OnBoot keeps the engine handle and unlinks gnet's listening socket, which
// is bound by now.
func (e *events) OnBoot(eng gnet.Engine) gnet.Action {
	s := (*Server)(e)
	s.eng = eng
	if s.internal != "" {
		_ = os.RemoveAll(s.internal)
	}
	return gnet.None
}

// OnTick runs once, when the loops run: it starts accepting.
func (e *events) OnTick() (time.Duration, gnet.Action) {
	s := (*Server)(e)
	if s.started.CompareAndSwap(false, true) {
		s.mu.Lock()
		for _, ln := range s.lns {
			if !ln.Down() {
				s.startAccept(ln)
			}
		}
		s.mu.Unlock()
		close(s.ready)
	}
	return time.Hour, gnet.None
}

// refusedConn is the context of a client closed at once (over maxconn, or
// refused by the Handler); detachedConn the context of a connection whose
// socket lives on outside gnet (a paused producer, a tunnel).
type (
	refusedConn  struct{}
	detachedConn struct{}
)

var (
	refused  = &refusedConn{}
	detached = &detachedConn{}
)

// OnOpen tells accepted clients (context: their *Listener) from backend
// connections (context: their dial attempt) and resumed producers.
func (e *events) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	s := (*Server)(e)
	switch x := c.Context().(type) {
	case *Listener:
		s.pending.Add(-1)
		s.fds.Add(1)
		if s.clients.Load() >= s.maxConn.Load() {
			c.SetContext(refused)
			return nil, gnet.Close
		}
		s.clients.Add(1)
		l := s.loopOf(c.EventLoop())
		ep := s.h.Accept(l, x, c)
		if ep == nil {
			s.clients.Add(-1)
			c.SetContext(refused)
			return nil, gnet.Close
		}
		c.SetContext(ep)
		return nil, ep.OnOpen(c)
	case *dialAttempt:
		return nil, x.opened(c)
	case *resumeAttempt:
		return nil, x.opened(c)
	}
	return nil, gnet.Close // a stranger on the internal listener
}

// OnTraffic dispatches to the connection's owner. The concrete types come
// first: they cost a pointer compare, the interface an itab lookup.
func (e *events) OnTraffic(c gnet.Conn) gnet.Action {
	switch x := c.Context().(type) {
	case *Upstream:
		return x.traffic(c)
	case *tunnelSide:
		return x.traffic(c)
	case Endpoint:
		return x.OnTraffic(c)
	}
	return gnet.None
}

// OnClose dispatches to the connection's owner and keeps the counts.
func (e *events) OnClose(c gnet.Conn, err error) gnet.Action {
	s := (*Server)(e)
	switch x := c.Context().(type) {
	case *Upstream:
		s.fds.Add(-1)
		x.closed(err)
	case *tunnelSide:
		x.t.sideClosed(x, err)
	case *refusedConn:
		s.fds.Add(-1)
	case Endpoint:
		x.OnClose(c, err) // a log line it writes counts the connection, as HAProxy's does
		s.clients.Add(-1)
		s.fds.Add(-1)
	}
	// dial and resume attempts that were abandoned, and detached
	// connections, were never counted or are counted elsewhere.
	return gnet.None
}
