package engine

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
)

// countingOrigin answers every request on a connection in turn, after the
// delay its query asks for, with the bytes of body it read (streamed, never
// held) and its path.
func countingOrigin(t *testing.T) *testorigin.Raw {
	t.Helper()
	raw := startRaw(t, func(_ *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			if d, err := time.ParseDuration(req.URL.Query().Get("delay")); err == nil {
				time.Sleep(d)
			}
			n, err := io.Copy(io.Discard, req.Body)
			if err != nil {
				return
			}
			testorigin.Printf(c, "HTTP/1.1 200 OK\r\nX-Got: %d\r\nX-Path: %s\r\nContent-Length: 0\r\n\r\n", n, req.URL.Path)
		}
	})
	return raw
}

// rawConfig is basicConfig with one server at addr.
func rawConfig(addr, backend string) string {
	return strings.Replace(basicConfig(nil, backend), "\nbackend be\n", "\nbackend be\n  server s1 "+addr+"\n", 1)
}

// TestHTTPPipelineAheadBounded: a client whose first request waits on a
// slow server pipelines a large upload and one more request behind it. The
// proxy must not buffer what the client sends ahead (HAProxy stops reading
// once its buffer is full, and TCP slows the client), and must then serve
// every request in order.
func TestHTTPPipelineAheadBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("large body")
	}
	const n = 64 << 20
	raw := countingOrigin(t)
	_, addr := startEngine(t, rawConfig(raw.Addr, "  timeout server 30s\n"))
	c := dial(t, addr)
	_ = c.c.SetDeadline(time.Now().Add(60 * time.Second))
	stop := memPeak()
	werr := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c.c, "GET /first?delay=1500ms HTTP/1.1\r\nHost: x\r\n\r\n"+
			"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(n)+"\r\n\r\n")
		if err == nil {
			err = sendPattern(c.c, n)
		}
		if err == nil {
			_, err = io.WriteString(c.c, "GET /last HTTP/1.1\r\nHost: x\r\n\r\n")
		}
		werr <- err
	}()
	for i, want := range []struct{ path, got string }{{"/first", "0"}, {"/big", strconv.Itoa(n)}, {"/last", "0"}} {
		r, _ := c.response("GET")
		if r.StatusCode != 200 || r.Header.Get("X-Path") != want.path || r.Header.Get("X-Got") != want.got {
			t.Fatalf("response %d: status %d, path %q, server read %q bytes; want %s with %s",
				i, r.StatusCode, r.Header.Get("X-Path"), r.Header.Get("X-Got"), want.path, want.got)
		}
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	heap, rss := stop()
	t.Logf("%d MiB pipelined behind a delayed request; peak growth: heap %d KiB, VmRSS %d KiB", n>>20, heap>>10, rss>>10)
	if heap > 16<<20 {
		t.Errorf("heap grew by %d MiB while the client sent ahead", heap>>20)
	}
}

// TestHTTPPipelineManyAhead: thousands of small requests pipelined behind
// a delayed one, far more than the client may send ahead: heads split
// across pauses, requests served from what a paused client had sent, all
// answered in order.
func TestHTTPPipelineManyAhead(t *testing.T) {
	t.Parallel()
	const n = 4000
	raw := countingOrigin(t)
	e, addr := startEngine(t, rawConfig(raw.Addr, ""))
	c := dial(t, addr)
	reqs := aheadRequests("GET /first?delay=500ms HTTP/1.1\r\nHost: x\r\n\r\n", n)
	if len(reqs) < 4*aheadBufs*e.limits.BufSize {
		t.Fatalf("%d bytes pipelined: not enough to pause the client", len(reqs))
	}
	werr := c.sendAsync(reqs)
	c.inOrder(n, werr)
}

// TestHTTPPipelineQueuedUpload: a request with a large body waits in the
// queue of a maxconn 1 server while another holds the slot; what its client
// sends meanwhile must not pile up, and the body must reach the server
// whole once the request gets the slot.
func TestHTTPPipelineQueuedUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("large body")
	}
	const n = 32 << 20
	raw := countingOrigin(t)
	_, addr := startEngine(t, strings.Replace(rawConfig(raw.Addr, "  timeout queue 10s\n  timeout server 30s\n"),
		"server s1 "+raw.Addr, "server s1 "+raw.Addr+" maxconn 1", 1))
	first := dial(t, addr)
	first.send("GET /first?delay=1500ms HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(200 * time.Millisecond) // the first request holds the slot
	c := dial(t, addr)
	_ = c.c.SetDeadline(time.Now().Add(60 * time.Second))
	stop := memPeak()
	werr := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c.c, "POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(n)+"\r\n\r\n")
		if err == nil {
			err = sendPattern(c.c, n)
		}
		werr <- err
	}()
	if r, _ := first.response("GET"); r.Header.Get("X-Path") != "/first" {
		t.Fatalf("first: status %d, path %q", r.StatusCode, r.Header.Get("X-Path"))
	}
	r, _ := c.response("POST")
	if r.StatusCode != 200 || r.Header.Get("X-Got") != strconv.Itoa(n) {
		t.Fatalf("queued upload: status %d, server read %q bytes, want %d", r.StatusCode, r.Header.Get("X-Got"), n)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	heap, _ := stop()
	t.Logf("%d MiB uploaded by a queued request; peak heap growth %d KiB", n>>20, heap>>10)
	if heap > 16<<20 {
		t.Errorf("heap grew by %d MiB while the request was queued", heap>>20)
	}
}

// TestHTTPPipelinePausedClientLeaves: a client paused for sending ahead
// goes away before its delayed answer: its held socket is closed and
// nothing stays counted (server connections close after each response,
// so none waits in a pool).
func TestHTTPPipelinePausedClientLeaves(t *testing.T) {
	t.Parallel()
	raw := countingOrigin(t)
	e, addr := startEngine(t, rawConfig(raw.Addr, "  option http-server-close\n"))
	c := dial(t, addr)
	c.send("GET /first?delay=1s HTTP/1.1\r\nHost: x\r\n\r\n")
	ahead := strings.Repeat("GET /next HTTP/1.1\r\nHost: x\r\n\r\n", 8*aheadBufs*e.limits.BufSize/32)
	go func() { _, _ = io.WriteString(c.c, ahead) }()
	time.Sleep(300 * time.Millisecond)
	_ = c.c.Close()
	if !within(5*time.Second, func() bool { return e.server().Clients() == 0 && e.server().fds.Load() == 0 }) {
		t.Fatalf("after the client left: %d clients, %d sockets", e.server().Clients(), e.server().fds.Load())
	}
}

// TestHTTPPipelineNonReaderStopped: a client that reads none of a large
// response and keeps sending cannot be paused (gnet holds output for it);
// past the hard bound the response in flight is finished and the
// connection closed, and memory stays bounded.
func TestHTTPPipelineNonReaderStopped(t *testing.T) {
	if testing.Short() {
		t.Skip("large body")
	}
	const size, n = 16 << 20, 64 << 20
	origins := startOrigins(t, 1)
	_, addr := startEngine(t, basicConfig(origins, ""))
	c := dial(t, addr)
	_ = c.c.SetDeadline(time.Now().Add(60 * time.Second))
	stop := memPeak()
	c.send("GET /?size=" + strconv.Itoa(size) + " HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(300 * time.Millisecond) // the response head is out, its body backs up
	c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(n) + "\r\n\r\n")
	if err := sendPattern(c.c, n); err != nil {
		t.Fatalf("the proxy stopped reading a client it cannot pause: %v", err)
	}
	heap, _ := stop()
	if st, got := readLarge(t, c, size); st != 200 || got != size {
		t.Fatalf("status %d, %d bytes of %d", st, got, size)
	}
	if !c.closed() {
		t.Error("connection still open after a client sent past the hard bound")
	}
	t.Logf("%d MiB sent by a client not reading; peak heap growth %d KiB", n>>20, heap>>10)
	if heap > 16<<20 {
		t.Errorf("heap grew by %d MiB", heap>>20)
	}
}
