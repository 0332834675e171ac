package engine

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// serve starts a server for h on fresh listeners at binds and stops it when
// the test ends.
func serve(t testing.TB, cfg Config, h Handler, binds ...string) (*Server, []*Listener) {
	t.Helper()
	var lns []*Listener
	for _, b := range binds {
		ln, err := Listen(bindAddr(t, b), nil)
		if err != nil {
			t.Fatalf("Listen(%q): %v", b, err)
		}
		lns = append(lns, ln)
	}
	return serveOn(t, cfg, h, lns...), lns
}

// serveOn starts a server for h on lns and stops it when the test ends.
func serveOn(t testing.TB, cfg Config, h Handler, lns ...*Listener) *Server {
	t.Helper()
	s := NewServer(cfg, h)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(lns...) }()
	select {
	case <-s.Ready():
	case err := <-errc:
		t.Fatalf("Serve: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("server not ready after 5s")
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
		select {
		case <-errc:
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after Stop")
		}
	})
	return s
}

// echoHandler serves client connections that echo what they read.
type echoHandler struct{}

func (echoHandler) Accept(*Loop, *Listener, gnet.Conn) Endpoint { return echoConn{} }
func (echoHandler) Drain(*Loop)                                 {}

type echoConn struct{}

func (echoConn) OnOpen(gnet.Conn) gnet.Action { return gnet.None }
func (echoConn) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Peek(-1)
	n := len(buf)
	if _, err := c.Write(buf); err != nil {
		return gnet.Close
	}
	_, _ = c.Discard(n)
	return gnet.None
}
func (echoConn) OnClose(gnet.Conn, error) {}

// origin is a plain Go TCP server on 127.0.0.1 for the tests, closed when
// the test ends.
type origin struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	count int // connections accepted
}

// startOrigin serves every accepted connection with fn on its own goroutine.
func startOrigin(t testing.TB, fn func(c net.Conn)) *origin {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &origin{ln: ln, conns: make(map[net.Conn]struct{})}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			o.mu.Lock()
			o.conns[c] = struct{}{}
			o.count++
			o.mu.Unlock()
			o.wg.Add(1)
			go func() {
				defer o.wg.Done()
				fn(c)
				_ = c.Close()
				o.mu.Lock()
				delete(o.conns, c)
				o.mu.Unlock()
			}()
		}
	}()
	t.Cleanup(o.close)
	return o
}

func (o *origin) addr() *net.TCPAddr { return o.ln.Addr().(*net.TCPAddr) }

func (o *origin) accepted() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.count
}

func (o *origin) close() {
	_ = o.ln.Close()
	o.mu.Lock()
	for c := range o.conns {
		_ = c.Close()
	}
	o.mu.Unlock()
	o.wg.Wait()
}

// echoOrigin echoes until EOF.
func echoOrigin(c net.Conn) { _, _ = io.Copy(c, c) }

// dialT connects to addr with a deadline for the whole test step.
func dialT(t testing.TB, addr net.Addr) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr.String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

// roundTrip writes msg to c and reads back as many bytes.
func roundTrip(t testing.TB, c net.Conn, msg string) string {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(buf)
}

// within polls cond every 5 ms for up to d.
func within(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}
