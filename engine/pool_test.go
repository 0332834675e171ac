package engine

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// bareLoop is a Loop with a wheel and nothing else, for unit tests that
// never touch a socket.
func bareLoop() *Loop {
	l := &Loop{tick: 10 * time.Millisecond}
	l.wheel.init()
	return l
}

// fakeConn stands for a connection in tests that never touch it.
type fakeConn struct{ gnet.Conn }

type nopUpstream struct{}

func (nopUpstream) OnConnect(*Upstream, error)              {}
func (nopUpstream) OnUpstreamTraffic(*Upstream) gnet.Action { return gnet.None }
func (nopUpstream) OnUpstreamClose(*Upstream, error)        {}

func TestPoolLIFOAndBound(t *testing.T) {
	l := bareLoop()
	var p Pool
	p.Init(l, 2, 0)
	us := make([]Upstream, 3)
	for i := range us {
		us[i].Init(l, nopUpstream{})
		us[i].state, us[i].conn = upOpen, fakeConn{}
	}
	if !p.Put(&us[0]) || !p.Put(&us[1]) {
		t.Fatal("Put refused below the bound")
	}
	if p.Put(&us[2]) {
		t.Fatal("Put accepted over the bound")
	}
	if us[2].state != upOpen {
		t.Fatal("refused Upstream changed state")
	}
	if got := p.Get(); got != &us[1] {
		t.Fatal("Get did not return the most recent")
	}
	if !p.Put(&us[2]) {
		t.Fatal("Put refused after a Get")
	}
	p.remove(&us[0]) // as when the bottom one closes
	if p.Len() != 1 || p.Get() != &us[2] || p.Get() != nil || p.Len() != 0 {
		t.Fatal("wrong contents after removing the bottom one")
	}
	other := Upstream{loop: bareLoop(), state: upOpen, conn: fakeConn{}}
	if p.Put(&other) {
		t.Fatal("Put accepted an Upstream of another loop")
	}
	paused := Upstream{loop: l, state: upOpen} // its socket held by a Valve
	if p.Put(&paused) {
		t.Fatal("Put accepted an Upstream without a connection")
	}
}

// lineHandler proxies newline-terminated requests one at a time per client
// over pooled server connections; every response is one line.
type lineHandler struct {
	addr  *net.TCPAddr
	max   int
	idle  time.Duration
	dials atomic.Int64
}

func (h *lineHandler) Accept(l *Loop, _ *Listener, c gnet.Conn) Endpoint {
	if l.Data == nil {
		p := new(Pool)
		p.Init(l, h.max, h.idle)
		l.Data = p
	}
	return &lineClient{h: h, l: l, c: c}
}

func (h *lineHandler) Drain(*Loop) {}

type lineClient struct {
	h      *lineHandler
	l      *Loop
	c      gnet.Conn
	sc     *lineServer // the server connection of the request in flight
	closed bool
}

type lineServer struct {
	Upstream
	client *lineClient
}

func (lc *lineClient) OnOpen(gnet.Conn) gnet.Action { return gnet.None }

func (lc *lineClient) OnTraffic(gnet.Conn) gnet.Action {
	lc.next()
	return gnet.None
}

func (lc *lineClient) OnClose(gnet.Conn, error) {
	lc.closed = true
	if lc.sc != nil {
		lc.sc.client = nil
		lc.sc.Close()
	}
}

// next starts the next buffered request, if any and none is in flight.
func (lc *lineClient) next() {
	if lc.sc != nil || lc.closed {
		return
	}
	buf, _ := lc.c.Peek(-1)
	if bytes.IndexByte(buf, '\n') < 0 {
		return
	}
	if u := lc.l.Data.(*Pool).Get(); u != nil {
		if !u.Connected() {
			panic("pool returned an unconnected Upstream")
		}
		lc.attach(u.Handler().(*lineServer))
		return
	}
	ls := &lineServer{}
	ls.Init(lc.l, ls)
	ls.client, lc.sc = lc, ls
	lc.h.dials.Add(1)
	if err := ls.Dial(lc.h.addr, time.Second); err != nil {
		_ = lc.c.Close()
	}
}

// attach sends the buffered request on ls.
func (lc *lineClient) attach(ls *lineServer) {
	ls.client, lc.sc = lc, ls
	buf, _ := lc.c.Peek(-1)
	n := bytes.IndexByte(buf, '\n') + 1
	_, _ = ls.Conn().Write(buf[:n])
	if lc.closed || lc.sc != ls {
		return // the write failed; OnUpstreamClose has cleaned up
	}
	_, _ = lc.c.Discard(n)
}

func (ls *lineServer) OnConnect(_ *Upstream, err error) {
	lc := ls.client
	if lc == nil {
		ls.Close()
		return
	}
	if err != nil {
		lc.sc = nil
		_ = lc.c.Close()
		return
	}
	lc.attach(ls)
}

func (ls *lineServer) OnUpstreamTraffic(u *Upstream) gnet.Action {
	lc := ls.client
	buf, _ := u.Conn().Peek(-1)
	n := bytes.IndexByte(buf, '\n') + 1
	if lc == nil || n == 0 {
		return gnet.None
	}
	_, _ = lc.c.Write(buf[:n])
	_, _ = u.Conn().Discard(n)
	lc.sc, ls.client = nil, nil
	if !lc.l.Data.(*Pool).Put(u) {
		u.Close()
	}
	if !lc.closed {
		lc.next()
	}
	return gnet.None
}

func (ls *lineServer) OnUpstreamClose(*Upstream, error) {
	if lc := ls.client; lc != nil {
		lc.sc, ls.client = nil, nil
		_ = lc.c.Close()
	}
}

// lineOrigin answers every line with "echo <line>"; "bye" closes the
// connection after the answer, "junk" sends one more line 50 ms later.
func lineOrigin(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(line, "\n")
		if _, err := c.Write([]byte("echo " + line + "\n")); err != nil {
			return
		}
		switch line {
		case "bye":
			return
		case "junk":
			time.Sleep(50 * time.Millisecond)
			_, _ = c.Write([]byte("unsolicited\n"))
		}
	}
}

// poolLen reads the pool's length on its loop.
func poolLen(t *testing.T, s *Server) int {
	t.Helper()
	ch := make(chan int, 1)
	s.mu.Lock()
	var l *Loop
	for _, x := range s.loops {
		l = x
	}
	s.mu.Unlock()
	if l == nil {
		t.Fatal("no loop yet")
	}
	if err := l.Execute(func() { ch <- l.Data.(*Pool).Len() }); err != nil {
		t.Fatal(err)
	}
	return <-ch
}

func TestPoolReuseStaleAndIdle(t *testing.T) {
	o := startOrigin(t, lineOrigin)
	h := &lineHandler{addr: o.addr(), max: 4, idle: 300 * time.Millisecond}
	s, lns := serve(t, Config{Loops: 1}, h, "127.0.0.1:0")
	c := dialT(t, lns[0].Addr())
	defer c.Close()
	r := bufio.NewReader(c)
	ask := func(q string) {
		t.Helper()
		if _, err := c.Write([]byte(q + "\n")); err != nil {
			t.Fatal(err)
		}
		got, err := r.ReadString('\n')
		if err != nil || got != "echo "+q+"\n" {
			t.Fatalf("asked %q, got %q, %v", q, got, err)
		}
	}

	for _, q := range []string{"a", "b", "c"} {
		ask(q)
	}
	if d := h.dials.Load(); d != 1 || o.accepted() != 1 {
		t.Fatalf("3 requests took %d dials, origin saw %d connections; want 1", d, o.accepted())
	}

	// The server closes an idle connection: the pool forgets it.
	ask("bye")
	if !within(2*time.Second, func() bool { return poolLen(t, s) == 0 }) {
		t.Fatal("pool kept a connection the server closed")
	}
	ask("d")
	if d := h.dials.Load(); d != 2 {
		t.Fatalf("dials = %d after a stale connection, want 2", d)
	}

	// The server speaks while the connection is idle: the pool drops it.
	ask("junk")
	if !within(2*time.Second, func() bool { return poolLen(t, s) == 0 }) {
		t.Fatal("pool kept a connection that sent unsolicited bytes")
	}
	ask("e")
	if d := h.dials.Load(); d != 3 {
		t.Fatalf("dials = %d after unsolicited bytes, want 3", d)
	}

	// Idle timeout.
	if n := poolLen(t, s); n != 1 {
		t.Fatalf("pool holds %d, want 1", n)
	}
	if !within(2*time.Second, func() bool { return poolLen(t, s) == 0 }) {
		t.Fatal("idle connection not closed after the idle timeout")
	}
	if !within(2*time.Second, func() bool {
		o.mu.Lock()
		defer o.mu.Unlock()
		return len(o.conns) == 0
	}) {
		t.Fatal("origin still holds the idle-timed-out connection")
	}
	ask("f")
	if d := h.dials.Load(); d != 4 {
		t.Fatalf("dials = %d after the idle timeout, want 4", d)
	}
}

func TestPoolBoundUnderConcurrency(t *testing.T) {
	o := startOrigin(t, lineOrigin)
	h := &lineHandler{addr: o.addr(), max: 2, idle: time.Minute}
	s, lns := serve(t, Config{Loops: 1}, h, "127.0.0.1:0")
	const clients = 6
	conns := make([]net.Conn, clients)
	for i := range conns {
		conns[i] = dialT(t, lns[0].Addr())
		defer conns[i].Close()
	}
	// All requests in flight at once, then all answers read.
	for i, c := range conns {
		if _, err := c.Write([]byte("q" + string(rune('0'+i)) + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range conns {
		got, err := bufio.NewReader(c).ReadString('\n')
		if want := "echo q" + string(rune('0'+i)) + "\n"; err != nil || got != want {
			t.Fatalf("client %d got %q, %v", i, got, err)
		}
	}
	if !within(2*time.Second, func() bool { return poolLen(t, s) == 2 }) {
		t.Fatalf("pool holds %d, want its bound 2", poolLen(t, s))
	}
	want := 2 + clients // the proxy's sockets: the pooled ones and the clients
	if !within(2*time.Second, func() bool { return s.fds.Load() == int64(want) }) {
		t.Fatalf("%d sockets open, want %d", s.fds.Load(), want)
	}
}

// TestUpstreamAlive: a pooled connection is alive until its server closes
// it; once the FIN is in, Alive says so even before the loop has read it.
func TestUpstreamAlive(t *testing.T) {
	o := startOrigin(t, lineOrigin)
	h := &lineHandler{addr: o.addr(), max: 4, idle: time.Minute}
	s, lns := serve(t, Config{Loops: 1}, h, "127.0.0.1:0")
	c := dialT(t, lns[0].Addr())
	defer c.Close()
	if _, err := c.Write([]byte("a\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	var l *Loop
	s.mu.Lock()
	for _, x := range s.loops {
		l = x
	}
	s.mu.Unlock()
	onLoop := func(f func()) {
		done := make(chan struct{})
		if err := l.Execute(func() { f(); close(done) }); err != nil {
			t.Fatal(err)
		}
		<-done
	}
	var alive, pooled bool
	onLoop(func() {
		p := l.Data.(*Pool)
		pooled = p.Len() == 1
		alive = pooled && p.top.Alive()
	})
	if !pooled || !alive {
		t.Fatalf("pooled %v, alive %v; want a live pooled connection", pooled, alive)
	}
	// Close the server side from a task on the loop, so the loop cannot
	// read the FIN before Alive looks.
	onLoop(func() {
		o.close()
		p := l.Data.(*Pool)
		pooled = p.Len() == 1
		deadline := time.Now().Add(2 * time.Second)
		for pooled && p.top.Alive() && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		alive = pooled && p.top.Alive()
	})
	if !pooled || alive {
		t.Fatalf("after the server closed: pooled %v, alive %v; want pooled, not alive", pooled, alive)
	}
	if !within(2*time.Second, func() bool { return poolLen(t, s) == 0 }) {
		t.Fatal("pool kept the closed connection")
	}
}
