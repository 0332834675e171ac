package engine

import (
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// Tail is the write side of a client connection whose peer has shut down
// its own write side (sent a FIN, as "send the request, then shutdown"
// clients do). gnet closes a connection as soon as a read returns nothing,
// so AdoptTail keeps the socket when that happens and a goroutine writes
// what the loop gives it: the response still reaches the client. The Tail
// counts as the client connection until it is closed. The HTTP layer also
// writes through an uncounted Tail while a client that sent too far ahead
// is paused (http_ahead.go): its Valve holds the socket off the loop.
//
// Write, Close and Abort are called on the loop; OutboundBuffered anywhere.
// A Tail is a Valve's consumer like a gnet.Conn, so a streamed response
// stays bounded; unlike a gnet.Conn it tells its loop when it has written
// everything (Loop.nudge), so a Valve waiting for it resumes at once.
type Tail struct {
	loop    *Loop
	nc      net.Conn
	timeout time.Duration
	counted bool         // the Tail counts as the client connection
	failed  func()       // run on the loop when the socket fails, or nil
	queued  atomic.Int64 // bytes written to the Tail and not yet to the socket
	wake    chan struct{}

	mu      sync.Mutex
	bufs    [][]byte // handed from the loop to the writer
	closing bool
	linger  bool // shut the write side and drop input before the close
	aborted bool
}

// AdoptTail keeps c's socket for writing. Call it from the Endpoint's
// OnClose when errors.Is(err, io.EOF) (the peer's FIN) and a response is
// still due. It fails with ErrBusy if gnet still held output for c (gnet
// drops what the socket does not take when it closes). Every write must
// complete within timeout (0: no limit). c must not be used afterwards.
func AdoptTail(l *Loop, c gnet.Conn, timeout time.Duration) (*Tail, error) {
	return tailOf(l, c, timeout, true, nil)
}

// tailOf starts a Tail on a duplicate of c's socket. A counted Tail counts
// as the client connection; an uncounted one writes for a client whose
// socket a paused Valve holds and counts. failed, if not nil, runs on the
// loop when a write to the socket fails: nothing else reports it (no
// OnClose runs), while writes to the Tail fail from then on.
func tailOf(l *Loop, c gnet.Conn, timeout time.Duration, counted bool, failed func()) (*Tail, error) {
	if c.OutboundBuffered() > 0 {
		return nil, ErrBusy
	}
	fd, err := c.Dup()
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "tail")
	nc, err := net.FileConn(f)
	_ = f.Close()
	if err != nil {
		return nil, err
	}
	t := &Tail{loop: l, nc: nc, timeout: timeout, counted: counted, failed: failed, wake: make(chan struct{}, 1)}
	if counted {
		l.srv.fds.Add(1)
		l.srv.clients.Add(1)
	}
	go t.write()
	return t, nil
}

// Write queues a copy of p for the socket. It never blocks; it fails once
// the Tail is closed or its socket failed.
func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing || t.aborted {
		return 0, net.ErrClosed
	}
	t.bufs = append(t.bufs, append([]byte(nil), p...))
	t.queued.Add(int64(len(p)))
	t.signal()
	return len(p), nil
}

// Writev queues a copy of bs for the socket, as Write does.
func (t *Tail) Writev(bs [][]byte) (int, error) {
	n := 0
	for _, b := range bs {
		n += len(b)
	}
	buf := make([]byte, 0, n)
	for _, b := range bs {
		buf = append(buf, b...)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing || t.aborted {
		return 0, net.ErrClosed
	}
	t.bufs = append(t.bufs, buf)
	t.queued.Add(int64(n))
	t.signal()
	return n, nil
}

// OutboundBuffered returns the bytes written to the Tail that the socket
// has not taken yet.
func (t *Tail) OutboundBuffered() int { return int(t.queued.Load()) }

// Close closes the socket once everything written has been sent.
func (t *Tail) Close() {
	t.mu.Lock()
	t.closing = true
	t.mu.Unlock()
	t.signal()
}

// Linger is Close for the end of the client connection: once everything is
// written, the socket's write side is shut down and what the client still
// sends is dropped until it closes or lingerTime has passed, as
// Loop.CloseLingering does; the socket of a client paused while it sent
// ahead holds unread input, and closing it would send a reset.
func (t *Tail) Linger() {
	t.mu.Lock()
	t.closing, t.linger = true, true
	t.mu.Unlock()
	t.signal()
}

// Abort closes the socket at once, dropping what is queued.
func (t *Tail) Abort() {
	t.mu.Lock()
	t.aborted = true
	t.mu.Unlock()
	_ = t.nc.Close()
	t.signal()
}

func (t *Tail) signal() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// write runs on the Tail's goroutine until it is closed or fails.
func (t *Tail) write() {
	defer func() {
		t.mu.Lock()
		linger := t.linger && !t.aborted
		t.mu.Unlock()
		if tc, ok := t.nc.(*net.TCPConn); ok && linger {
			_ = tc.CloseWrite()
			_ = tc.SetReadDeadline(time.Now().Add(lingerTime))
			_, _ = io.Copy(io.Discard, tc)
		}
		_ = t.nc.Close()
		if t.counted {
			s := t.loop.srv
			s.fds.Add(-1)
			s.clients.Add(-1)
		}
	}()
	for range t.wake {
		for {
			t.mu.Lock()
			bufs, closing, aborted := t.bufs, t.closing, t.aborted
			t.bufs = nil
			t.mu.Unlock()
			if aborted {
				return
			}
			if len(bufs) == 0 {
				if closing {
					return
				}
				break
			}
			for _, b := range bufs {
				if t.timeout > 0 {
					_ = t.nc.SetWriteDeadline(time.Now().Add(t.timeout))
				}
				if _, err := t.nc.Write(b); err != nil {
					t.mu.Lock()
					t.aborted = true
					t.mu.Unlock()
					t.queued.Store(0)
					t.fail()
					return
				}
				t.queued.Add(-int64(len(b)))
			}
			if t.queued.Load() == 0 {
				t.loop.nudge() // a Valve waiting for the Tail to drain may resume
			}
		}
	}
}

// fail runs the failure callback on the loop. A counted Tail stays counted
// until the callback has run, so that the log line it writes counts the
// connection, as HAProxy's does; the writer's exit then leaves the count
// alone.
func (t *Tail) fail() {
	if t.failed == nil {
		return
	}
	counted := t.counted
	if t.loop.Execute(func() {
		t.failed()
		if counted {
			t.loop.srv.socketClosed(true)
		}
	}) == nil {
		t.counted = false
	}
}
