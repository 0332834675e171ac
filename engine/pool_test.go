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

	"tether/engine/config"
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

// testPool returns a pool on l keeping at most max connections, purged
// every purge, whose connections in use used counts.
func testPool(l *Loop, max int, purge time.Duration, used *atomic.Int64) *ServerPool {
	p := new(ServerPool)
	p.Init(l, &config.Server{PoolMaxConn: max, PoolPurgeDelay: purge}, used)
	return p
}

func TestPoolOrderAndBound(t *testing.T) {
	t.Parallel()
	l := bareLoop()
	var used atomic.Int64
	p := testPool(l, 2, time.Hour, &used)
	us := make([]Upstream, 4)
	for i := range us {
		us[i].Init(l, nopUpstream{})
		us[i].state, us[i].conn = upOpen, fakeConn{}
	}
	used.Store(3)
	p.Use()
	used.Store(2)
	if !p.Park(&us[0], false) || !p.Park(&us[1], true) {
		t.Fatal("Park refused below the bound and the need")
	}
	if p.Park(&us[2], true) {
		t.Fatal("Park accepted over the bound")
	}
	if us[2].state != upOpen {
		t.Fatal("refused Upstream changed state")
	}
	if p.From(false, config.ReuseSafe) != nil || p.From(true, config.ReuseNever) != nil {
		t.Fatal("a first request or http-reuse never may reuse")
	}
	if got := p.From(true, config.ReuseSafe).Get(); got != &us[0] {
		t.Fatal("a later request did not take the idle list first")
	}
	if got := p.From(false, config.ReuseAggressive).Get(); got != &us[1] {
		t.Fatal("a first request under aggressive did not take the safe connection")
	}
	if p.From(false, config.ReuseAggressive) != nil || p.Len() != 0 {
		t.Fatal("pool not empty")
	}
	// The safe list being empty, the first after a later exchange is kept
	// whatever the need; with one kept, the next only within the need.
	used.Store(0)
	q := testPool(l, -1, time.Hour, &used)
	if !q.Park(&us[2], true) || q.Park(&us[3], true) {
		t.Fatal("the need is not weighed")
	}
	l2 := q.From(false, config.ReuseAlways)
	u := l2.Get()
	if u != &us[2] || !l2.Put(u) || q.Len() != 1 || l2.Get() != &us[2] {
		t.Fatal("Put did not return a connection to its list")
	}
	other := Upstream{loop: bareLoop(), state: upOpen, conn: fakeConn{}}
	if p.Park(&other, false) {
		t.Fatal("Park accepted an Upstream of another loop")
	}
	paused := Upstream{loop: l, state: upOpen} // its socket held by a Valve
	if p.Park(&paused, false) {
		t.Fatal("Park accepted an Upstream without a connection")
	}
	if testPool(l, -1, 0, &used).Park(&us[3], false) {
		t.Fatal("pool-purge-delay 0 kept a connection")
	}
}

// lineHandler proxies newline-terminated requests one at a time per client
// over pooled server connections; every response is one line.
type lineHandler struct {
	addr  *net.TCPAddr
	max   int
	idle  time.Duration // pool-purge-delay
	dials atomic.Int64
	used  atomic.Int64 // server connections in use
}

func (h *lineHandler) Accept(l *Loop, _ *Listener, c gnet.Conn) Endpoint {
	if l.Data == nil {
		l.Data = testPool(l, h.max, h.idle, &h.used)
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
	p := lc.l.Data.(*ServerPool)
	if l := p.From(true, config.ReuseSafe); l != nil {
		u := l.Get()
		if !u.Connected() {
			panic("pool returned an unconnected Upstream")
		}
		lc.h.used.Add(1)
		p.Use()
		lc.attach(u.Handler().(*lineServer))
		return
	}
	lc.h.used.Add(1)
	p.Use()
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
	lc.h.used.Add(-1)
	if !lc.l.Data.(*ServerPool).Park(u, true) {
		u.Close()
	}
	if !lc.closed {
		lc.next()
	}
	return gnet.None
}

func (ls *lineServer) OnUpstreamClose(*Upstream, error) {
	if lc := ls.client; lc != nil {
		lc.h.used.Add(-1)
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
	if err := l.Execute(func() { ch <- l.Data.(*ServerPool).Len() }); err != nil {
		t.Fatal(err)
	}
	return <-ch
}

func TestPoolReuseStaleAndIdle(t *testing.T) {
	t.Parallel()
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

	// The purge: with nothing in use, the estimated need decays to 0 within
	// three purge delays and the idle connection goes.
	if n := poolLen(t, s); n != 1 {
		t.Fatalf("pool holds %d, want 1", n)
	}
	if !within(2*time.Second, func() bool { return poolLen(t, s) == 0 }) {
		t.Fatal("idle connection not purged")
	}
	if !within(2*time.Second, func() bool {
		o.mu.Lock()
		defer o.mu.Unlock()
		return len(o.conns) == 0
	}) {
		t.Fatal("origin still holds the purged connection")
	}
	ask("f")
	if d := h.dials.Load(); d != 4 {
		t.Fatalf("dials = %d after the purge, want 4", d)
	}
}

func TestPoolBoundUnderConcurrency(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
		p := l.Data.(*ServerPool)
		pooled = p.Len() == 1
		alive = pooled && p.safe.oldest.Alive()
	})
	if !pooled || !alive {
		t.Fatalf("pooled %v, alive %v; want a live pooled connection", pooled, alive)
	}
	// Close the server side from a task on the loop, so the loop cannot
	// read the FIN before Alive looks.
	onLoop(func() {
		o.close()
		p := l.Data.(*ServerPool)
		pooled = p.Len() == 1
		deadline := time.Now().Add(2 * time.Second)
		for pooled && p.safe.oldest.Alive() && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		alive = pooled && p.safe.oldest.Alive()
	})
	if !pooled || alive {
		t.Fatalf("after the server closed: pooled %v, alive %v; want pooled, not alive", pooled, alive)
	}
	if !within(2*time.Second, func() bool { return poolLen(t, s) == 0 }) {
		t.Fatal("pool kept the closed connection")
	}
}
