package engine

import (
	"net"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// forwardHandler pairs the first two clients and forwards what the first
// sends to the second, limit bytes per event, recording Forward's results.
type forwardHandler struct {
	limit   int
	clients []gnet.Conn
	results chan [2]int // n, ok
}

func (h *forwardHandler) Accept(_ *Loop, _ *Listener, c gnet.Conn) Endpoint {
	h.clients = append(h.clients, c)
	return &forwardConn{h: h, first: len(h.clients) == 1}
}

func (h *forwardHandler) Drain(*Loop) {}

type forwardConn struct {
	h     *forwardHandler
	first bool
}

func (f *forwardConn) OnOpen(gnet.Conn) gnet.Action { return gnet.None }
func (f *forwardConn) OnClose(gnet.Conn, error)     {}
func (f *forwardConn) OnTraffic(c gnet.Conn) gnet.Action {
	if !f.first || len(f.h.clients) < 2 {
		return gnet.None
	}
	n, ok := Forward(c, f.h.clients[1], f.h.limit)
	r := [2]int{n, 0}
	if ok {
		r[1] = 1
	}
	f.h.results <- r
	if !ok {
		return gnet.Close
	}
	return gnet.None
}

func TestForward(t *testing.T) {
	t.Parallel()
	h := &forwardHandler{limit: 3, results: make(chan [2]int, 16)}
	_, lns := serve(t, Config{Loops: 1}, h, "127.0.0.1:0")
	a := dialT(t, lns[0].Addr())
	defer a.Close()
	time.Sleep(50 * time.Millisecond) // a is the first client
	b := dialT(t, lns[0].Addr())
	time.Sleep(50 * time.Millisecond)
	if _, err := a.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if r := <-h.results; r != [2]int{3, 1} {
		t.Fatalf("Forward = %v, want 3 bytes moved, ok", r)
	}
	buf := make([]byte, 3)
	if _, err := b.Read(buf); err != nil || string(buf) != "hel" {
		t.Fatalf("second client read %q, %v", buf, err)
	}
	// The peer resets: the next Forward reports the failed write.
	_ = b.(*net.TCPConn).SetLinger(0)
	_ = b.Close()
	time.Sleep(50 * time.Millisecond)
	deadline := time.After(5 * time.Second)
	for {
		_, _ = a.Write([]byte("more")) // fails once the proxy has closed a
		select {
		case r := <-h.results:
			if r[1] == 0 {
				if r[0] != 0 {
					t.Fatalf("failed Forward moved %d bytes", r[0])
				}
				return
			}
		case <-deadline:
			t.Fatal("Forward never reported the failed write")
		}
	}
}
