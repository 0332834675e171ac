package engine

import (
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// pendingClose is a connection to close once gnet has written out all its
// buffered output, or at its deadline; a lingering one has its write side
// shut down first.
type pendingClose struct {
	c        gnet.Conn
	deadline time.Time
	linger   time.Duration // how long to drop input after the flush; 0: close then
	shut     bool          // the write side is shut down: lingering until deadline
}

// CloseFlushed closes c once gnet has written everything buffered for it,
// or after timeout, whichever comes first. gnet has no drain callback and
// its Close drops whatever the socket does not take at once, so this checks
// on every tick. Unread input is not waited for. Call it on c's loop; c
// must not be written to afterwards.
func (l *Loop) CloseFlushed(c gnet.Conn, timeout time.Duration) {
	l.closeAfter(pendingClose{c: c, deadline: l.now.Add(timeout)})
}

// CloseLingering is CloseFlushed for a client connection that may still
// send: once its output is written, c's write side is shut down (the client
// reads everything, then the end of the stream) and what the client still
// sends is read and dropped until it closes or linger has passed. Closing
// a socket with unread input sends a reset at once, which discards what the
// kernel has not sent yet and can make the client's kernel drop what it has
// not read yet: HAProxy closes this way too. c's handler must drop what it
// reads meanwhile, and c must have a context (gnet clears it when c
// closes, which is how a closed c is told apart).
func (l *Loop) CloseLingering(c gnet.Conn, timeout, linger time.Duration) {
	l.closeAfter(pendingClose{c: c, deadline: l.now.Add(timeout), linger: linger})
}

// closeAfter settles p at once and keeps it for the ticks if it is not done.
func (l *Loop) closeAfter(p pendingClose) {
	if l.settle(&p) {
		l.closing = append(l.closing, p)
	}
}

// settle moves p on: it closes the connection, or shuts its write side once
// flushed if it lingers, and reports whether p must be checked again. A
// connection closed meanwhile by its peer reports nothing buffered, and
// closing it again does nothing.
func (l *Loop) settle(p *pendingClose) bool {
	c := p.c
	if !p.shut && c.OutboundBuffered() > 0 && l.now.Before(p.deadline) {
		return true // still flushing
	}
	if !p.shut && p.linger > 0 && c.OutboundBuffered() == 0 && c.Context() != nil &&
		unix.Shutdown(c.Fd(), unix.SHUT_WR) == nil {
		p.shut, p.deadline = true, l.now.Add(p.linger)
		return true
	}
	if p.shut && c.Context() != nil && l.now.Before(p.deadline) {
		return true // lingering
	}
	_ = c.Close()
	return false
}

// watchClosing settles the connections of CloseFlushed and CloseLingering.
// It runs on every tick.
func (l *Loop) watchClosing() {
	kept := l.closing[:0]
	for _, p := range l.closing {
		if l.settle(&p) {
			kept = append(kept, p)
		}
	}
	clear(l.closing[len(kept):])
	l.closing = kept
}
