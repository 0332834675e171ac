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
	raw, err := testorigin.StartRaw(func(_ *testorigin.Raw, c net.Conn, br *bufio.Reader) {
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
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
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
