package engine

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
)

func TestHTTPTimeouts(t *testing.T) {
	t.Parallel()
	origins := startOrigins(t, 1)
	cfg := fmt.Sprintf(`defaults
  mode http
  timeout connect 1s
  timeout client 300ms
  timeout server 5s
  timeout http-keep-alive 200ms
frontend fe
  bind 127.0.0.1:%d
  default_backend be
backend be
  server s1 %s
`, freePort(), origins[0].Addr)
	_, addr := startEngine(t, cfg)
	// Keep-alive timeout: an idle connection after a request closes.
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	c.response("GET")
	start := time.Now()
	if !c.closed() {
		t.Fatal("idle keep-alive connection not closed")
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 1500*time.Millisecond {
		t.Fatalf("keep-alive timeout after %v", d)
	}
	// A stalled request body: TestHTTPStalledUpload.
	// Without http-request, a partial head times out with client: 408.
	c = dial(t, addr)
	c.send("GET / HTTP/1.1\r\n")
	if got := c.rest(); !strings.HasPrefix(got, "HTTP/1.1 408 ") {
		t.Fatalf("partial head: %q", got)
	}
}

func TestHTTPClientTimeoutSlowReader(t *testing.T) {
	t.Parallel()
	origins := startOrigins(t, 1)
	cfg := fmt.Sprintf(`defaults
  mode http
  timeout connect 1s
  timeout client 300ms
  timeout server 5s
frontend fe
  bind 127.0.0.1:%d
  default_backend be
backend be
  server s1 %s
`, freePort(), origins[0].Addr)
	e, addr := startEngine(t, cfg)
	c := dial(t, addr)
	c.send("GET /?size=100000000 HTTP/1.1\r\nHost: x\r\n\r\n")
	// The client never reads: after the client timeout the proxy lets go
	// of both connections.
	deadline := time.Now().Add(5 * time.Second)
	for e.Backends()[0].Conns == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	for e.Backends()[0].Conns != 0 {
		if time.Now().After(deadline) {
			t.Fatal("a client that does not read holds its server connection")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHTTPNullConnection: a connection that never sends its first request
// is answered as HAProxy 2.6 answers it: 408 when timeout http-request
// expires, 400 when the client shuts its side, each logged (cR, CR) unless
// `option dontlognull`, and neither with `option http-ignore-probes`; a
// connection idle after a request closes silently.
func TestHTTPNullConnection(t *testing.T) {
	t.Parallel()
	origins := startOrigins(t, 1)
	cfg, pc := withHTTPLog(t, fmt.Sprintf(`defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
  timeout http-request 200ms
frontend fe
  bind 127.0.0.1:%d
  default_backend be
frontend quiet
  bind 127.0.0.1:%d
  option dontlognull
  default_backend be
frontend probes
  bind 127.0.0.1:%d
  option http-ignore-probes
  default_backend be
backend be
  server s1 %s
`, freePort(), freePort(), freePort(), origins[0].Addr))
	e, addr := startEngine(t, cfg)
	quiet, probes := e.Listeners()[1].Addr().String(), e.Listeners()[2].Addr().String()
	logged := func(want ...string) {
		t.Helper()
		line, err := nextLog(pc, 3*time.Second)
		if err != nil {
			t.Fatalf("no log line with %q: %v", want, err)
		}
		for _, w := range want {
			if !strings.Contains(line, w) {
				t.Fatalf("log line %q lacks %q", line, w)
			}
		}
	}
	notLogged := func() {
		t.Helper()
		if line, err := nextLog(pc, 300*time.Millisecond); err == nil {
			t.Fatalf("unexpected log line %q", line)
		}
	}
	for _, a := range []string{addr, quiet} {
		c := dial(t, a)
		if got := c.rest(); !strings.HasPrefix(got, "HTTP/1.1 408 Request Time-out\r\n") || !strings.HasSuffix(got, errBody408) {
			t.Fatalf("%s, nothing sent: %q", a, got)
		}
		c = dial(t, a)
		if err := c.c.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if got := c.rest(); !strings.HasPrefix(got, "HTTP/1.1 400 Bad request\r\n") || !strings.HasSuffix(got, errBody400) {
			t.Fatalf("%s, shut at once: %q", a, got)
		}
		if a == quiet {
			notLogged()
			continue
		}
		logged(" fe fe/<NOSRV> -1/-1/-1/-1/", " 408 0 - - cR-- ", `"<BADREQ>"`)
		logged(" fe fe/<NOSRV> -1/-1/-1/-1/", " 400 0 - - CR-- ", `"<BADREQ>"`)
	}
	// With http-ignore-probes, nothing answers or logs an empty connection.
	for _, shut := range []bool{false, true} {
		c := dial(t, probes)
		if shut {
			if err := c.c.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
		}
		if got := c.rest(); got != "" {
			t.Fatalf("probe (shut %v) got %q", shut, got)
		}
	}
	notLogged()
	// A begun head is logged even with dontlognull.
	c := dial(t, quiet)
	c.send("GET / HTTP/1.1\r\n")
	if got := c.rest(); !strings.HasPrefix(got, "HTTP/1.1 408 ") {
		t.Fatalf("partial head: %q", got)
	}
	logged(" quiet quiet/<NOSRV> -1/-1/-1/-1/", " 408 0 - - cR-- ")
	// Idle after a request: closed without a word.
	c = dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	c.response("GET")
	logged(" fe be/s1 ", " 200 ")
	if got := c.rest(); got != "" {
		t.Fatalf("idle keep-alive connection got %q", got)
	}
	notLogged()
}

// TestHTTPServerTimeoutInHead: a server that stalls in the middle of its
// response head gets the client a 504, as HAProxy answers, not a cut
// connection; the client connection stays open.
func TestHTTPServerTimeoutInHead(t *testing.T) {
	t.Parallel()
	raw := startRaw(t, func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		defer c.Close()
		if _, _, err := r.ReadRequest(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Le")
		time.Sleep(2 * time.Second)
	})
	_, addr := startEngine(t, rawConfig(raw.Addr, "  timeout server 200ms\n"))
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	want := string(reply504.head) + "\r\n" + errBody504
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c.br, got); err != nil || string(got) != want {
		t.Fatalf("got %q (%v), want %q", got, err, want)
	}
	if c.closed() {
		t.Fatal("the client connection closed after the 504")
	}
}

// TestHTTPStalledUpload: while the response is awaited, HAProxy lets the
// server's timeout, not the client's, end a stalled request body: the
// client gets a 504 and the connection closes. Without a server timeout
// the client's applies and the connection is cut.
func TestHTTPStalledUpload(t *testing.T) {
	t.Parallel()
	origins := startOrigins(t, 1)
	for _, tt := range []struct {
		server string
		want   string
		after  time.Duration
	}{
		{"600ms", "HTTP/1.1 504 Gateway Time-out\r\n", 500 * time.Millisecond},
		{"0", "", 150 * time.Millisecond},
	} {
		cfg := fmt.Sprintf(`defaults
  mode http
  timeout connect 1s
  timeout client 200ms
  timeout server %s
frontend fe
  bind 127.0.0.1:%d
  default_backend be
backend be
  server s1 %s
`, tt.server, freePort(), origins[0].Addr)
		_, addr := startEngine(t, cfg)
		c := dial(t, addr)
		start := time.Now()
		c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
		got := c.rest()
		if d := time.Since(start); !strings.HasPrefix(got, tt.want) || d < tt.after || d > tt.after+time.Second {
			t.Errorf("timeout server %s: after %v got %q", tt.server, d, got)
		}
	}
}
