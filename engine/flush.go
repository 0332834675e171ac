package engine

import (
	"time"

	"github.com/panjf2000/gnet/v2"
)

// pendingClose is a connection to close once gnet has written out all its
// buffered output, or at its deadline.
type pendingClose struct {
	c        gnet.Conn
	deadline time.Time
}

// CloseFlushed closes c once gnet has written everything buffered for it,
// or after timeout, whichever comes first. gnet has no drain callback and
// its Close drops whatever the socket does not take at once, so this checks
// on every tick. Unread input is not waited for. Call it on c's loop; c
// must not be written to afterwards.
func (l *Loop) CloseFlushed(c gnet.Conn, timeout time.Duration) {
	if c.OutboundBuffered() == 0 {
		_ = c.Close()
		return
	}
	l.closing = append(l.closing, pendingClose{c: c, deadline: l.now.Add(timeout)})
}

// watchClosing closes the connections of CloseFlushed that have drained or
// whose time is up. It runs on every tick. A connection closed meanwhile by
// its peer reports nothing buffered, and closing it again does nothing.
func (l *Loop) watchClosing() {
	kept := l.closing[:0]
	for _, p := range l.closing {
		if p.c.OutboundBuffered() == 0 || !l.now.Before(p.deadline) {
			_ = p.c.Close()
			continue
		}
		kept = append(kept, p)
	}
	clear(l.closing[len(kept):])
	l.closing = kept
}
