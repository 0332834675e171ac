package engine

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// tunnelBuf is the size of each direction's copy buffer.
const tunnelBuf = 32 << 10

// tunnelState is the stage of a Tunnel.
type tunnelState uint8

const (
	tunnelStarting tunnelState = iota // both sockets on the loop, draining gnet's buffers
	tunnelRelaying                    // both sockets off the loop, copied by goroutines
	tunnelEnded                       // both sockets closed; done has run
)

// Tunnel relays bytes both ways between a client connection and its server
// connection once they stop speaking HTTP (after a 101, or in TCP mode).
//
// Both sockets leave the loop: once gnet holds no buffered byte for either
// of them, the tunnel keeps duplicates of the descriptors, closes the gnet
// connections (which does not shut the sockets down) and copies each
// direction on a goroutine with a 32 KiB buffer. A slow reader then blocks
// its writer and, through the kernel's socket buffers and TCP windows, the
// sender: memory is bounded whatever the peers do, in both directions at
// once, at the cost of two mostly idle goroutines per tunnel. A half close
// is passed on; the tunnel ends when both directions have ended, on an error
// in either, or after timeout without a byte either way.
//
// Until gnet's buffers for both sides are empty (usually at once, at most
// until the 101 has been written out) the tunnel forwards on the loop
// without a bound, and gnet closes a side that half-closes then. A Tunnel
// is started (StartTunnel allocates it) and ended on its loop.
type Tunnel struct {
	loop    *Loop
	sides   [2]tunnelSide         // client, server
	fin     [2]time.Duration      // the client's, the server's inactivity bound once either side shut its own; 0: timeout
	timeout atomic.Int64          // the inactivity bound (a time.Duration), lowered by fin
	late    atomic.Pointer[error] // what the end of timeout is reported as: ErrTunnelTimeout, or ErrTunnelServerFin
	// closeOnServerEnd: the server's end of its side ends the tunnel (the
	// client's connection closes too), as HAProxy ends an HTTP upgrade
	closeOnServerEnd bool
	serverEnded      atomic.Bool // the server ended its side and the tunnel closed for it
	done             func(t *Tunnel, err error)
	state            tunnelState
	retry            Timer // retries the detach while gnet still buffers bytes
	err              error
	open             int // gnet connections not closed yet (while starting)

	mu           sync.Mutex // guards conns and aborted against Server.Stop
	conns        [2]net.Conn
	aborted      bool
	last         atomic.Int64    // UnixNano of the last byte relayed
	relayedBytes [2]atomic.Int64 // bytes relayed to the client and to the server

	relayErr  error         // why the relay ended, set before relayDone closes
	relayDone chan struct{} // closed when the relay goroutines are done
	ended     atomic.Bool   // relayed has run (on the loop, or from Stop)
}

// tunnelSide is the context of a tunnel's connection while it is on the loop.
type tunnelSide struct {
	t      *Tunnel
	c      gnet.Conn
	peer   *tunnelSide
	client bool
}

// StartTunnel turns client and server's connection into a tunnel: from now
// on neither the client's Endpoint nor server's handler gets an event, and
// server may dial again. Bytes already buffered on either side are
// forwarded first. done runs once on the loop when both sockets are closed,
// with the tunnel (see Relayed) and nil after a clean end on both sides,
// ErrTunnelTimeout, or the error that ended it. Call it on the loop, from a
// callback of either connection; server must be attached (not paused by a
// Valve).
func StartTunnel(l *Loop, client gnet.Conn, server *Upstream, timeout time.Duration, done func(t *Tunnel, err error)) *Tunnel {
	t := &Tunnel{loop: l, done: done, open: 2}
	t.timeout.Store(int64(timeout))
	t.retry.Init(t.detach)
	sc := server.conn
	server.timer.Stop()
	server.state, server.conn = upNone, nil
	t.sides[0] = tunnelSide{t: t, c: client, peer: &t.sides[1], client: true}
	t.sides[1] = tunnelSide{t: t, c: sc, peer: &t.sides[0]}
	client.SetContext(&t.sides[0])
	sc.SetContext(&t.sides[1])
	l.srv.mu.Lock()
	l.srv.tunnels[t] = struct{}{}
	l.srv.mu.Unlock()
	for i := range t.sides {
		if t.state != tunnelStarting || t.open < 2 {
			break
		}
		t.sides[i].pump()
	}
	// Detach from a task: it runs after the current batch of events, so no
	// read can slip in between the check and the close.
	if l.Execute(t.detach) != nil {
		t.abort()
	}
	return t
}

// FinTimeouts sets the inactivity bounds of the client's and the server's
// sides once a peer has shut its side (`timeout client-fin`, `timeout
// server-fin`). As HAProxy, once one peer has shut its side, the tunnel
// waits on the other's reads under the other's fin timeout when it has one
// (lower than the tunnel's timeout), and reports its end as that side's:
// ErrTunnelServerFin for the server, ErrTunnelTimeout for the client.
// Call it from the callback that started the tunnel.
func (t *Tunnel) FinTimeouts(client, server time.Duration) { t.fin = [2]time.Duration{client, server} }

// CloseOnServerEnd makes the server's end of its side end the tunnel,
// cleanly, instead of being passed on as a half close: HAProxy closes the
// client's connection of an upgraded exchange so. Call it from the
// callback that started the tunnel.
func (t *Tunnel) CloseOnServerEnd() { t.closeOnServerEnd = true }

// halfClosed lowers the tunnel's inactivity bound once peer from shut its
// side (see FinTimeouts) and returns it.
func (t *Tunnel) halfClosed(from int, timeout time.Duration) time.Duration {
	other := 1 - from
	f := t.fin[other]
	if f <= 0 || timeout > 0 && f >= timeout {
		return timeout
	}
	err := ErrTunnelTimeout
	if other == 1 {
		err = ErrTunnelServerFin
	}
	t.late.Store(&err)
	t.timeout.Store(int64(f))
	return f
}

// traffic forwards what a side reads while the tunnel is still on the loop.
func (s *tunnelSide) traffic(gnet.Conn) gnet.Action {
	if s.t.state == tunnelStarting && s.t.open == 2 {
		s.pump()
	}
	return gnet.None
}

// pump forwards everything s has buffered to its peer. If the write fails,
// the peer's OnClose has run and closes s.
func (s *tunnelSide) pump() {
	n, _ := Forward(s.c, s.peer.c, -1)
	s.t.counter(!s.client).Add(int64(n))
}

// counter returns the count of bytes relayed to the client, or to the
// server.
func (t *Tunnel) counter(toClient bool) *atomic.Int64 {
	if toClient {
		return &t.relayedBytes[0]
	}
	return &t.relayedBytes[1]
}

// Relayed returns the bytes relayed so far from the server to the client
// and from the client to the server. It is safe for concurrent use; once
// done has run the counts are final.
func (t *Tunnel) Relayed() (toClient, toServer int64) {
	return t.relayedBytes[0].Load(), t.relayedBytes[1].Load()
}

// detach moves both sockets off the loop once gnet buffers nothing for
// them, else retries on the next tick.
func (t *Tunnel) detach() {
	if t.state != tunnelStarting || t.open < 2 {
		return
	}
	for i := range t.sides {
		c := t.sides[i].c
		if c.InboundBuffered() > 0 || c.OutboundBuffered() > 0 {
			t.loop.Schedule(&t.retry, 0)
			return
		}
	}
	var fds [2]int
	for i := range t.sides {
		fd, err := t.sides[i].c.Dup()
		if err != nil {
			if i == 1 {
				_ = unix.Close(fds[0])
			}
			t.err = err
			_ = t.sides[0].c.Close()
			_ = t.sides[1].c.Close()
			return
		}
		fds[i] = fd
	}
	t.state = tunnelRelaying
	t.relayDone = make(chan struct{})
	for i := range t.sides {
		c := t.sides[i].c
		c.SetContext(detached)
		_ = c.EventLoop().Close(c) // we run in a task, not in c's callback
		t.sides[i].c = nil
	}
	t.last.Store(time.Now().UnixNano())
	go t.relay(fds)
}

// sideClosed runs in OnClose of a side still on the loop: the tunnel ends
// when both are closed.
func (t *Tunnel) sideClosed(s *tunnelSide, err error) {
	t.loop.srv.socketClosed(s.client)
	t.open--
	if t.err == nil && err != nil && !errors.Is(err, io.EOF) {
		t.err = err
	}
	t.retry.Stop()
	if t.open == 1 {
		_ = s.peer.c.Close()
		return
	}
	t.finish(t.err)
}

// relay copies both directions until both end, on its own goroutine.
func (t *Tunnel) relay(fds [2]int) {
	var conns [2]net.Conn
	var err error
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "tunnel")
		if err == nil {
			conns[i], err = net.FileConn(f) // a duplicate
		}
		_ = f.Close()
	}
	t.mu.Lock()
	t.conns = conns
	if t.aborted && err == nil {
		err = ErrStopping
	}
	t.mu.Unlock()
	if err == nil {
		var wg sync.WaitGroup
		var errs [2]error
		wg.Add(2)
		go func() { defer wg.Done(); errs[0] = t.pipe(conns[1], conns[0], 0) }()
		errs[1] = t.pipe(conns[0], conns[1], 1)
		wg.Done()
		wg.Wait()
		err = errors.Join(errs[0], errs[1])
	}
	for _, c := range conns {
		if c != nil {
			_ = c.Close()
		}
	}
	t.relayErr = err
	close(t.relayDone)
	if t.loop.Execute(t.relayed) != nil {
		t.relayed() // the loops have stopped: nothing runs concurrently
	}
}

// pipe relays src, side from (0 the client, 1 the server), to dst,
// counting the bytes, until src ends (then dst's write side is shut, and
// the fin timeouts bound the other direction) or an error, which closes
// both so the other direction ends too.
func (t *Tunnel) pipe(dst, src net.Conn, from int) error {
	n := t.counter(from == 1)
	buf := make([]byte, tunnelBuf)
	for {
		timeout := time.Duration(t.timeout.Load())
		if timeout > 0 {
			_ = src.SetReadDeadline(time.Unix(0, t.last.Load()).Add(timeout))
		}
		k, err := src.Read(buf)
		if k > 0 {
			t.last.Store(time.Now().UnixNano())
			w, werr := dst.Write(buf[:k])
			n.Add(int64(w))
			if werr != nil {
				err = werr
			}
		}
		switch {
		case err == nil:
			continue
		case errors.Is(err, io.EOF):
			if from == 1 && t.closeOnServerEnd {
				t.serverEnded.Store(true)
				_ = dst.Close()
				_ = src.Close()
				return nil
			}
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			if least := t.halfClosed(from, timeout); least != timeout {
				_ = dst.SetReadDeadline(time.Unix(0, t.last.Load()).Add(least)) // the other direction's read
			}
			return nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			if time.Since(time.Unix(0, t.last.Load())) < time.Duration(t.timeout.Load()) {
				continue // the other direction was active, or the bound was raised
			}
			err = ErrTunnelTimeout
			if late := t.late.Load(); late != nil {
				err = *late
			}
		}
		if t.serverEnded.Load() && errors.Is(err, net.ErrClosed) {
			return nil // closed when the server ended its side
		}
		_ = src.Close()
		_ = dst.Close()
		return err
	}
}

// relayed runs on the loop when the relay goroutines have closed both
// sockets, or from Server.Stop once the loops have stopped (a task queued
// as they stopped never runs). It acts once.
func (t *Tunnel) relayed() {
	if !t.ended.CompareAndSwap(false, true) {
		return
	}
	t.finish(t.relayErr) // done sees the sockets still counted, as a log line should
	t.loop.srv.socketClosed(true)
	t.loop.srv.socketClosed(false)
}

// finish ends the tunnel on the loop.
func (t *Tunnel) finish(err error) {
	t.state = tunnelEnded
	s := t.loop.srv
	s.mu.Lock()
	delete(s.tunnels, t)
	s.mu.Unlock()
	t.done(t, err)
}

// abort closes a relaying tunnel's sockets (Server.Stop); one still on the
// loop is closed with the loop's connections.
func (t *Tunnel) abort() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.aborted = true
	for _, c := range t.conns {
		if c != nil {
			_ = c.Close()
		}
	}
}
