package engine

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
)

// TestInboxKept: while the socket is off the loop, an inbox serves the
// bytes it kept, in order, and is empty once they are consumed.
func TestInboxKept(t *testing.T) {
	t.Parallel()
	in := inbox{kept: []byte("GET / HTTP/1.1\r\n\r\nrest")}
	if b, _ := in.Peek(3); string(b) != "GET" {
		t.Fatalf("Peek(3) = %q", b)
	}
	if n, _ := in.Discard(18); n != 18 || in.InboundBuffered() != 4 {
		t.Fatalf("Discard(18) = %d, %d left", n, in.InboundBuffered())
	}
	if b, _ := in.Peek(-1); string(b) != "rest" {
		t.Fatalf("Peek(-1) = %q", b)
	}
	if n, _ := in.Discard(100); n != 4 || in.kept != nil {
		t.Fatalf("Discard past the end = %d, kept %q", n, in.kept)
	}
	if b, _ := in.Peek(-1); len(b) != 0 {
		t.Fatalf("empty inbox peeks %q", b)
	}
	in.kept = []byte("abc")
	if n, _ := in.Discard(-1); n != 3 || in.InboundBuffered() != 0 {
		t.Fatalf("Discard(-1) = %d, %d left", n, in.InboundBuffered())
	}
}

// holdingOrigin answers every request with its path at once, except
// /first, answered once release is closed.
func holdingOrigin(t *testing.T, release <-chan struct{}) *testorigin.Raw {
	t.Helper()
	raw := startRaw(t, func(_ *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			if req.URL.Path == "/first" {
				<-release
			}
			if _, err := io.Copy(io.Discard, req.Body); err != nil {
				return
			}
			testorigin.Printf(c, "HTTP/1.1 200 OK\r\nX-Path: %s\r\nContent-Length: 0\r\n\r\n", req.URL.Path)
		}
	})
	return raw
}

// onLoops runs f on each of s's loops and returns the sum of its results.
func onLoops(t *testing.T, s *Server, f func(l *Loop) int) int {
	t.Helper()
	s.mu.Lock()
	loops := make([]*Loop, 0, len(s.loops))
	for _, l := range s.loops {
		loops = append(loops, l)
	}
	s.mu.Unlock()
	sum := 0
	for _, l := range loops {
		ch := make(chan int, 1)
		if err := l.Execute(func() { ch <- f(l) }); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-ch:
			sum += n
		case <-time.After(5 * time.Second):
			t.Fatal("a loop does not run tasks")
		}
	}
	return sum
}

// pausedValves counts the producers a loop holds off.
func pausedValves(l *Loop) int {
	n := 0
	for v := l.valves.next; v != &l.valves; v = v.next {
		n++
	}
	return n
}

// TestHTTPPausedClientBackPromptly: a client paused for sending ahead comes
// back as soon as what it sent is used up and its Tail has drained, not at
// the loop's next tick. The tick is an hour here: every pipelined request
// is still answered, in order, and the loop's clock never ticked, so no
// resume waited for it.
func TestHTTPPausedClientBackPromptly(t *testing.T) {
	t.Parallel()
	const n = 3000
	release := make(chan struct{})
	raw := holdingOrigin(t, release)
	e, addr := startEngineTick(t, rawConfig(raw.Addr, ""), time.Hour)
	c := dial(t, addr)
	reqs := aheadRequests("GET /first HTTP/1.1\r\nHost: x\r\n\r\n", n)
	if len(reqs) < 3*aheadBufs*e.limits.BufSize {
		t.Fatalf("%d bytes pipelined: not enough to pause the client more than once", len(reqs))
	}
	werr := c.sendAsync(reqs)
	if !within(5*time.Second, func() bool { return onLoops(t, e.server(), pausedValves) > 0 }) {
		close(release)
		t.Fatal("the client sending ahead was never paused")
	}
	close(release)
	c.inOrder(n, werr)
	if ticks := onLoops(t, e.server(), func(l *Loop) int { return int(l.wheel.now) }); ticks != 0 {
		t.Errorf("the loops ticked %d times with an hour's tick", ticks)
	}
}

// TestHTTPHalfClosedClientStreamsPromptly: a client that sends its request
// and shuts its write side down gets its response through a Tail; a large
// body backs the Tail up, which pauses the server, and the server comes
// back as soon as the Tail drains, not at the loop's next tick: with a
// tick of an hour the whole body still arrives.
func TestHTTPHalfClosedClientStreamsPromptly(t *testing.T) {
	t.Parallel()
	const size = 16 << 20
	origins := startOrigins(t, 1)
	e, addr := startEngineTick(t, basicConfig(origins, ""), time.Hour)
	c := dial(t, addr)
	c.send("GET /?size=" + strconv.Itoa(size) + " HTTP/1.1\r\nHost: x\r\n\r\n")
	_ = c.c.(*net.TCPConn).CloseWrite()
	time.Sleep(200 * time.Millisecond) // the Tail backs up while nothing reads
	if st, got := readLarge(t, c, size); st != 200 || got != size {
		t.Fatalf("status %d, %d bytes of %d", st, got, size)
	}
	if ticks := onLoops(t, e.server(), func(l *Loop) int { return int(l.wheel.now) }); ticks != 0 {
		t.Errorf("the loops ticked %d times with an hour's tick", ticks)
	}
}
