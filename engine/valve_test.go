package engine

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// streamHandler relays each client to the origin on the loop, byte for
// byte, pausing whichever side produces faster than the other consumes:
// the way the HTTP layer streams bodies.
type streamHandler struct {
	addr      *net.TCPAddr
	high, low int
	pauses    atomic.Int64
	resumes   atomic.Int64
	ended     chan struct{}
}

func (h *streamHandler) Accept(l *Loop, _ *Listener, c gnet.Conn) Endpoint {
	p := &streamPair{h: h, l: l, client: c}
	p.up.Init(l, p)
	p.cv.Init(l, p.clientResumed)
	p.sv.Init(l, p.serverResumed)
	return p
}

func (h *streamHandler) Drain(*Loop) {}

// streamPair is one client, its server connection and a valve for each.
type streamPair struct {
	h          *streamHandler
	l          *Loop
	client     gnet.Conn
	up         Upstream
	cv, sv     Valve // pause the client, the server
	clientOpen bool
	serverOpen bool
}

func (p *streamPair) OnOpen(gnet.Conn) gnet.Action {
	p.clientOpen = true
	if p.up.Dial(p.h.addr, time.Second) != nil {
		return gnet.Close
	}
	return gnet.None
}

func (p *streamPair) OnTraffic(c gnet.Conn) gnet.Action {
	if !p.serverOpen {
		return gnet.None // kept until the server is connected
	}
	return p.forward(c, p.up.Conn(), &p.cv)
}

func (p *streamPair) OnClose(gnet.Conn, error) {
	p.clientOpen = false
	if p.sv.Paused() {
		p.up.Close() // its Valve closes the held socket; no OnUpstreamClose follows
		if p.sv.Paused() {
			panic("Upstream.Close left its Valve paused")
		}
		p.serverOpen = false
	} else {
		p.up.CloseFlushed(10 * time.Second) // what the client sent last may still be buffered
	}
	p.end()
}

func (p *streamPair) OnConnect(u *Upstream, err error) {
	if err != nil {
		_ = p.client.Close()
		return
	}
	p.serverOpen = true
	if p.client != nil {
		p.forward(p.client, u.Conn(), &p.cv)
	}
}

func (p *streamPair) OnUpstreamTraffic(u *Upstream) gnet.Action {
	return p.forward(u.Conn(), p.client, &p.sv)
}

func (p *streamPair) OnUpstreamClose(*Upstream, error) {
	p.serverOpen = false
	if p.cv.Paused() {
		p.cv.Close() // closes the held socket; no OnClose follows
		p.clientOpen = false
	} else if p.clientOpen && p.client != nil {
		p.l.CloseFlushed(p.client, 10*time.Second)
	}
	p.end()
}

func (p *streamPair) end() {
	if !p.clientOpen && !p.serverOpen && p.h.ended != nil {
		p.h.ended <- struct{}{}
	}
}

// forward writes what src has to dst, then pauses src if dst backs up.
func (p *streamPair) forward(src, dst gnet.Conn, v *Valve) gnet.Action {
	if dst == nil {
		return gnet.None // dst is paused itself; keep the bytes
	}
	if _, ok := Forward(src, dst, -1); !ok || !p.clientOpen || !p.serverOpen {
		return gnet.Close // the write failed and closed dst
	}
	if dst.OutboundBuffered() > p.h.high && v.Pause(src, dst, p.h.low) == nil {
		p.h.pauses.Add(1)
		if v == &p.cv {
			p.client = nil // off the loop until clientResumed
		}
	}
	return gnet.None
}

func (p *streamPair) clientResumed(c gnet.Conn, err error) {
	if err != nil {
		p.clientOpen = false
		p.up.Close()
		p.end()
		return
	}
	p.h.resumes.Add(1)
	p.client = c
	// The server may have sent while the client was away: its bytes wait
	// in its inbound buffer, and gnet reports no event for them again.
	if sc := p.up.Conn(); sc != nil && sc.InboundBuffered() > 0 {
		p.forward(sc, c, &p.sv)
	}
}

func (p *streamPair) serverResumed(_ gnet.Conn, err error) {
	if err != nil {
		p.serverOpen = false
		if p.client != nil {
			_ = p.client.Close()
		}
		p.end()
		return
	}
	p.h.resumes.Add(1)
	if p.client != nil && p.client.InboundBuffered() > 0 {
		p.forward(p.client, p.up.Conn(), &p.cv)
	}
}

// TestValveBoundedMemory uploads streamSize bytes to a slow origin, which
// then sends as much back to a slow client, through an on-loop relay that
// pauses the producer whenever the consumer holds more than 1 MiB.
func TestValveBoundedMemory(t *testing.T) {
	const size = streamSize
	const chunk, pause = 256 << 10, time.Millisecond
	originErr := make(chan error, 1)
	o := startOrigin(t, func(c net.Conn) {
		err := readPattern(c, size, chunk, pause)
		if err == nil {
			err = sendPattern(c, size)
		}
		originErr <- err
	})
	h := &streamHandler{addr: o.addr(), high: 1 << 20, low: 256 << 10, ended: make(chan struct{}, 1)}
	s, lns := serve(t, Config{Loops: 2}, h, "127.0.0.1:0")
	c := dialT(t, lns[0].Addr())
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute)) // slow on a loaded machine, never stuck
	stop := memPeak()
	start := time.Now()
	if err := sendPattern(c, size); err != nil {
		t.Fatalf("upload: %v", err)
	}
	up := time.Since(start)
	if err := readPattern(c, size, chunk, pause); err != nil {
		t.Fatalf("download: %v", err)
	}
	elapsed := time.Since(start)
	heap, rss := stop()
	if err := waitErr(t, originErr, 10*time.Second); err != nil {
		t.Fatalf("origin: %v", err)
	}
	select {
	case <-h.ended:
	case <-time.After(10 * time.Second):
		t.Fatal("relay did not end after the origin closed")
	}
	t.Logf("%d MiB up in %v, down in %v; %d pauses, %d resumes; peak growth: heap %d KiB, VmRSS %d KiB",
		size>>20, up.Round(time.Millisecond), (elapsed - up).Round(time.Millisecond),
		h.pauses.Load(), h.resumes.Load(), heap>>10, rss>>10)
	if h.pauses.Load() == 0 {
		t.Error("the relay never paused a producer: the test did not exercise the valve")
	}
	if heap > 64<<20 {
		t.Errorf("heap grew by %d MiB", heap>>20)
	}
	if !within(2*time.Second, func() bool { return s.fds.Load() == 0 && s.Clients() == 0 }) {
		t.Errorf("counts at the end: %d sockets, %d clients", s.fds.Load(), s.Clients())
	}
}

// TestValveConsumerLeavesWhilePaused: the client stops reading, the server
// gets paused, then the client goes away: the paused server socket must be
// closed and nothing stay counted.
func TestValveConsumerLeavesWhilePaused(t *testing.T) {
	t.Parallel()
	originDone := make(chan error, 1)
	o := startOrigin(t, func(c net.Conn) {
		originDone <- sendPattern(c, 256<<20)
	})
	h := &streamHandler{addr: o.addr(), high: 256 << 10, low: 64 << 10, ended: make(chan struct{}, 1)}
	s, lns := serve(t, Config{Loops: 1}, h, "127.0.0.1:0")
	c := dialT(t, lns[0].Addr())
	if err := readPattern(c, 1<<20, 64<<10, 0); err != nil {
		t.Fatal(err)
	}
	if !within(5*time.Second, func() bool { return h.pauses.Load() > 0 }) {
		t.Fatal("server never paused while the client did not read")
	}
	_ = c.Close()
	select {
	case <-h.ended:
	case <-time.After(5 * time.Second):
		t.Fatal("relay did not end after the client left")
	}
	if err := waitErr(t, originDone, 5*time.Second); err == nil {
		t.Error("origin finished sending 256 MiB to a client that left after 1 MiB")
	}
	if !within(2*time.Second, func() bool { return s.fds.Load() == 0 && s.Clients() == 0 }) {
		t.Errorf("counts at the end: %d sockets, %d clients", s.fds.Load(), s.Clients())
	}
}
