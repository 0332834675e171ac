package engine

import (
	"math"

	"github.com/panjf2000/gnet/v2"

	"tether/engine/accesslog"
	"tether/h1"
)

// A client may send ahead of the request in flight: pipelined requests, or
// a body while its server connection is being made. gnet reads whatever
// arrives into an unbounded buffer, and cannot pause a read. HAProxy stops
// reading once its buffer (tune.bufsize) is full, so TCP slows the client;
// tether takes the client's socket off the loop instead (its Valve), keeps
// the bytes gnet had read (its inbox), writes the response in flight
// through a Tail on the held socket, and enrolls the socket again once
// what it kept can be used and the Tail has drained.
const (
	// aheadBufs: a client is paused once it has sent more than this many
	// tune.bufsize buffers ahead. HAProxy reads one; a few more let an
	// ordinary burst of pipelined requests go without a pause.
	aheadBufs = 4
	// aheadHard: a client that cannot be paused (gnet still holds output
	// for it: it is not reading its responses) is stopped once it has sent
	// this many buffers ahead: the response in flight is finished and the
	// connection closed, or the connection is closed at once when what it
	// sent is the request's own body or bytes for the tunnel the request
	// asks for. HAProxy would only stop reading.
	aheadHard = 64
)

// inbox is a client's unread input: the bytes kept over a pause (gnet had
// read them when the socket left the loop), then what gnet buffers for the
// connection. Peek of a non-empty inbox moves gnet's bytes behind the kept
// ones, so a request head split across a pause is seen whole. kept is
// empty in the steady state, where an inbox costs one indirection.
type inbox struct {
	c    gnet.Conn // nil while the socket is off the loop
	kept []byte
}

// Peek returns at most n bytes (all if n < 0) of the input, as a view valid
// until the next Discard.
func (in *inbox) Peek(n int) ([]byte, error) {
	if len(in.kept) == 0 {
		if in.c == nil {
			return nil, nil
		}
		return in.c.Peek(n)
	}
	in.take()
	b := in.kept
	if n >= 0 && n < len(b) {
		b = b[:n]
	}
	return b, nil
}

// Discard drops the first n bytes of the input, all of it if n <= 0.
func (in *inbox) Discard(n int) (int, error) {
	if len(in.kept) == 0 {
		if in.c == nil {
			return 0, nil
		}
		return in.c.Discard(n)
	}
	if n <= 0 {
		k := len(in.kept)
		in.kept = nil
		if in.c != nil {
			m, _ := in.c.Discard(-1)
			k += m
		}
		return k, nil
	}
	n = min(n, len(in.kept))
	if in.kept = in.kept[n:]; len(in.kept) == 0 {
		in.kept = nil
	}
	return n, nil
}

// InboundBuffered returns the bytes of input not consumed yet.
func (in *inbox) InboundBuffered() int {
	n := len(in.kept)
	if in.c != nil {
		n += in.c.InboundBuffered()
	}
	return n
}

// take moves what gnet buffers behind the kept bytes.
func (in *inbox) take() {
	if in.c == nil {
		return
	}
	if buf, _ := in.c.Peek(-1); len(buf) > 0 {
		in.kept = append(in.kept, buf...)
		_, _ = in.c.Discard(len(buf))
	}
}

// clientGate is what a paused client's Valve watches (Outbound): it reads
// as drained once the client's input can be used again and its Tail has
// written everything.
type clientGate clientConn

// OutboundBuffered returns 0 or the level of the server the request body
// goes to when the client may come back, math.MaxInt while it must wait.
func (g *clientGate) OutboundBuffered() int {
	cc := (*clientConn)(g)
	if t := cc.tail; t != nil && t.OutboundBuffered() > 0 {
		return math.MaxInt
	}
	switch cc.state {
	case csIdle, csHead:
		return 0 // the next request's head is awaited
	case csExchange:
		if s := cc.up; s != nil && s.state == ssUpgraded {
			return 0 // the tunnel starts once the client is back
		}
		if cc.reqBody.done {
			return math.MaxInt
		}
		if s := cc.up; s != nil && s.Conn() != nil {
			return s.Conn().OutboundBuffered()
		}
		return 0
	}
	return math.MaxInt
}

// holdBack pauses, or stops, a client that has sent too far ahead of the
// request in flight. It runs after each read of the client.
func (cc *clientConn) holdBack() {
	switch cc.state {
	case csConnect, csQueue, csTarpit:
	case csExchange:
		if !cc.reqBody.done {
			return // the body streams: the server's level paces the client
		}
	default:
		return
	}
	n := cc.in.InboundBuffered()
	bufs := cc.e.limits.BufSize
	if n <= aheadBufs*bufs {
		return
	}
	if cc.pause() {
		return
	}
	if n <= aheadHard*bufs {
		return
	}
	cc.rec.Term = accesslog.TermClientAbort
	if !cc.reqBody.done || forwardsUpgrade(&cc.x.req) || cc.x.req.MethodID == h1.MethodCONNECT {
		cc.closeNow()
		return
	}
	// Finish the response in flight, then close; drop what comes.
	cc.keep = false
	cc.deaf = true
	_, _ = cc.in.Discard(-1)
}

// pause takes the client's socket off the loop: the Valve holds it, the
// inbox keeps what gnet had read and a Tail writes the responses until the
// gate opens. It reports whether the client is paused; it cannot be while
// gnet holds output for it.
func (cc *clientConn) pause() bool {
	c := cc.c
	if c.OutboundBuffered() > 0 {
		return false
	}
	t, err := cc.newTail(c, false)
	if err != nil {
		return false
	}
	cc.in.take() // closing the gnet connection drops what it buffers
	if cc.valve.Pause(c, (*clientGate)(cc), lowMark) != nil {
		t.Abort()
		return false
	}
	cc.in.c = nil
	cc.tail, cc.out = t, t
	return true
}

// resumed brings a paused client back: the Tail has drained, so responses
// go to the connection again; then whatever the client sent is processed.
func (cc *clientConn) resumed(c gnet.Conn, err error) {
	if t := cc.tail; t != nil {
		cc.tail = nil
		t.Close()
	}
	if err != nil {
		cc.state = csClosing
		cc.release()
		return
	}
	cc.c, cc.out, cc.in.c = c, c, c
	switch cc.state {
	case csIdle, csHead:
		if cc.in.InboundBuffered() > 0 {
			cc.readHead()
		}
	case csExchange:
		if s := cc.up; s != nil && s.state == ssUpgraded {
			s.pumpUpgraded() // the tunnel's turn (http_upgrade.go)
			return
		}
		// What the server sent while the client was coming back waits in
		// its buffer (nothing may overtake the Tail's last bytes).
		if s := cc.up; s != nil && s.Conn() != nil && s.Conn().InboundBuffered() > 0 {
			switch s.state {
			case ssHead:
				s.readHead()
			case ssBody:
				s.pumpResponse()
			}
		}
		if cc.state == csExchange {
			cc.pumpRequest()
		}
	}
}

// newTail starts a Tail on c's socket for the client's responses. A
// counted Tail is that of a client that shut its side: `timeout
// client-fin`, when set, bounds it instead of `timeout client`.
func (cc *clientConn) newTail(c gnet.Conn, counted bool) (*Tail, error) {
	d := cc.fe.timeouts.Client
	if fin := cc.fe.timeouts.ClientFin; counted && fin > 0 {
		d = fin
	}
	var t *Tail
	t, err := tailOf(cc.ls.l, c, d, counted, func() {
		if cc.tail == t { // the Tail is still the client's output
			cc.rec.Term = accesslog.TermClientAbort
			cc.closeNow()
		}
	})
	return t, err
}

// endOffLoop closes a client whose socket is off the loop (held by its
// Valve, written by its Tail), flushing the Tail first or not, and reports
// whether it did. No OnClose follows for such a client.
func (cc *clientConn) endOffLoop(flush bool) bool {
	t := cc.tail
	if t == nil && !cc.valve.Paused() {
		return false
	}
	if t != nil {
		cc.tail = nil
		if flush {
			t.Linger()
		} else {
			t.Abort()
		}
	}
	cc.state = csClosing
	cc.release()
	return true
}
