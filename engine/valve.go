package engine

import (
	"context"
	"net"
	"os"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// valveState is the stage of a Valve.
type valveState uint8

const (
	valveOpen     valveState = iota // the producer is attached and read by gnet
	valvePaused                     // the producer's socket is held off the loop, unread
	valveResuming                   // the socket is being enrolled on the loop again
)

// Outbound is what a Valve watches of a consumer: the bytes it holds that
// its socket has not taken yet. A gnet.Conn is one; so is a Tail.
type Outbound interface {
	OutboundBuffered() int
}

// Valve stops reading a producer connection while its consumer's output
// backs up. gnet cannot pause a read (it always reads a readable socket and
// buffers what is not consumed), so Pause takes the producer's socket out of
// the loop: it keeps a duplicate descriptor and closes the gnet connection,
// which does not shut the socket down. Unread bytes stay in the kernel and
// TCP flow control slows the sender. The loop checks the consumer on every
// tick, and at once when it can know the consumer may have drained: the
// protocol layer calls Check after a change on the loop (an exchange
// ended), and a Tail nudges the loop when it has written everything (a
// gnet.Conn reports no such thing: the tick is the fallback). Once the
// consumer's output has drained to the low mark the socket is enrolled on
// the same loop again and the resume callback gets its new gnet.Conn.
// Memory per direction is then bounded by the high mark the caller pauses
// at plus one read.
//
// The protocol layer embeds a Valve in the state of each connection that may
// produce a stream and calls Init once. A Valve is used only on its loop.
// The pattern (see streamPair in valve_test.go):
//
//   - after forwarding, if consumer.OutboundBuffered() > high, Pause the
//     producer and forget its gnet.Conn (nil it): it must not be written to
//     until it is back;
//   - in the resume callback, take the new gnet.Conn, then forward what the
//     other side buffered while this one was away: gnet reports no new
//     event for bytes already in an inbound buffer;
//   - if the other side ends while the producer is paused, Close the Valve:
//     the held socket is closed and no OnClose follows for it;
//   - while one side is paused, bytes the other side sends towards it stay
//     in that side's inbound buffer, which gnet keeps filling: bound it
//     if the protocol lets both sides talk at once (the HTTP layer pauses
//     a client that sends too far ahead, see http_ahead.go);
//   - Pause refuses a producer with buffered input (it would be lost with
//     the gnet connection): move it out first and serve it from there
//     until the resume (the HTTP layer's inbox).
type Valve struct {
	loop     *Loop
	state    valveState
	fd       int // the held socket while paused
	gen      uint32
	ctx      any  // the producer's context, restored on resume
	client   bool // the producer is a client connection (for the counts)
	consumer Outbound
	low      int
	resumed  func(c gnet.Conn, err error)
	prev     *Valve // ring of the loop's paused valves
	next     *Valve
}

// resumeAttempt is the context of a producer being enrolled again.
type resumeAttempt struct {
	v   *Valve
	gen uint32
}

// Init ties v to loop l. resumed runs on the loop when a paused producer is
// back, with its new connection (its context is the one it had at Pause),
// or with c nil and the error if its socket could not return (then it is
// closed, and neither Endpoint.OnClose nor UpstreamHandler.OnUpstreamClose runs).
func (v *Valve) Init(l *Loop, resumed func(c gnet.Conn, err error)) {
	v.loop, v.resumed = l, resumed
}

// Paused reports whether the producer is off the loop (paused or resuming).
func (v *Valve) Paused() bool { return v.state != valveOpen }

// Resuming reports whether the producer's socket is being enrolled again:
// it is not back yet, and its resume callback will run.
func (v *Valve) Resuming() bool { return v.state == valveResuming }

// Pause takes producer off the loop until consumer's outbound buffer holds
// at most low bytes. Call it on the loop after forwarding and discarding
// everything producer read: it fails with ErrBusy while gnet buffers input
// or output for producer (closing would lose them). Do not use producer
// after Pause; if it is an Upstream's connection, Upstream.Conn is nil until
// the resume.
//
// The gnet connection is closed synchronously, even from its own
// OnTraffic: an asynchronous Close runs only after the loop's next
// epoll_wait, which may report the socket readable again, and gnet would
// read bytes into a connection about to be dropped. (Closing inside its
// OnTraffic is safe in gnet v2.10.0: after the callback, read() appends an
// empty buffer and returns.)
func (v *Valve) Pause(producer gnet.Conn, consumer Outbound, low int) error {
	if v.state != valveOpen {
		panic("BUG: engine: Pause of a paused Valve")
	}
	if producer.InboundBuffered() > 0 || producer.OutboundBuffered() > 0 {
		return ErrBusy
	}
	fd, err := producer.Dup()
	if err != nil {
		return err
	}
	v.fd, v.consumer, v.low = fd, consumer, low
	v.ctx = producer.Context()
	u, isUp := v.ctx.(*Upstream)
	v.client = !isUp
	if isUp {
		u.conn, u.valve = nil, v
	}
	producer.SetContext(detached)
	_ = producer.EventLoop().Close(producer)
	v.state = valvePaused
	l := v.loop
	v.prev, v.next = l.valves.prev, &l.valves
	l.valves.prev.next = v
	l.valves.prev = v
	return nil
}

// Check resumes a paused producer whose consumer has drained to the low
// mark, without waiting for the next tick. It does nothing otherwise, and
// costs one look at the consumer: call it on the loop where the consumer's
// level may just have dropped.
func (v *Valve) Check() {
	if v.state == valvePaused && v.consumer.OutboundBuffered() <= v.low {
		v.resume()
	}
}

// Close releases a paused producer's socket (the consumer went away). It
// does nothing to an open Valve.
func (v *Valve) Close() {
	switch v.state {
	case valvePaused:
		v.unlink()
		_ = unix.Close(v.fd)
	case valveResuming:
		v.gen++ // the enrolled connection is closed when it opens
	default:
		return
	}
	v.dropped()
}

// dropped forgets a producer whose socket is gone: the counts go down and
// an Upstream producer may dial again.
func (v *Valve) dropped() {
	if u, ok := v.ctx.(*Upstream); ok {
		u.timer.Stop()
		u.state, u.valve = upNone, nil
	}
	v.state = valveOpen
	v.ctx, v.consumer = nil, nil
	v.loop.srv.socketClosed(v.client)
}

func (v *Valve) unlink() {
	v.prev.next = v.next
	v.next.prev = v.prev
	v.prev, v.next = nil, nil
}

// watchValves resumes the paused producers whose consumers have drained. It
// runs on every tick and when a Tail nudges the loop.
func (l *Loop) watchValves() {
	for v := l.valves.next; v != &l.valves; {
		next := v.next
		if v.consumer.OutboundBuffered() <= v.low {
			v.resume()
		}
		v = next
	}
}

// dropValves closes the sockets of the loop's paused producers, once the
// engine has stopped.
func (l *Loop) dropValves() {
	for l.valves.next != &l.valves {
		l.valves.next.Close()
	}
}

// resume enrolls the held socket on the loop again, from a goroutine: gnet
// only takes a net.Conn, which it duplicates and closes.
func (v *Valve) resume() {
	v.unlink()
	v.state = valveResuming
	v.gen++
	a := &resumeAttempt{v: v, gen: v.gen}
	fd, l := v.fd, v.loop
	v.fd = -1
	go func() {
		f := os.NewFile(uintptr(fd), "producer")
		nc, err := net.FileConn(f)
		_ = f.Close()
		if err != nil {
			_ = l.Execute(func() { a.failed(err) })
			return
		}
		ch, err := l.el.Enroll(gnet.NewContext(context.Background(), a), nc)
		if err != nil {
			_ = nc.Close()
			_ = l.Execute(func() { a.failed(err) })
			return
		}
		res := <-ch
		_ = l.Execute(func() { a.failed(res.Err) })
	}()
}

// opened runs in OnOpen of a resumed producer.
func (a *resumeAttempt) opened(c gnet.Conn) gnet.Action {
	v := a.v
	if a.gen != v.gen || v.state != valveResuming {
		return gnet.Close // closed meanwhile
	}
	v.state = valveOpen
	c.SetContext(v.ctx)
	if u, ok := v.ctx.(*Upstream); ok {
		u.conn, u.valve = c, nil
	}
	v.ctx, v.consumer = nil, nil
	v.resumed(c, nil)
	return gnet.None
}

// failed runs on the loop after the resume goroutine has finished; if the
// producer never opened, its socket is gone.
func (a *resumeAttempt) failed(err error) {
	v := a.v
	if a.gen != v.gen || v.state != valveResuming {
		return
	}
	if err == nil {
		err = ErrNotRegistered
	}
	v.dropped()
	v.resumed(nil, err)
}
