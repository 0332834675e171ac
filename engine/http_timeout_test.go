package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestHTTPTimeouts(t *testing.T) {
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
	// Client timeout while the request body stalls: the exchange ends.
	c = dial(t, addr)
	c.send("POST /?echo=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
	start = time.Now()
	out := c.rest()
	if d := time.Since(start); d < 250*time.Millisecond || d > 2*time.Second {
		t.Fatalf("stalled body ended after %v", d)
	}
	if strings.Contains(out, "200 OK") {
		t.Fatalf("stalled body got %q", out)
	}
	// Without http-request, a partial head times out with client: 408.
	c = dial(t, addr)
	c.send("GET / HTTP/1.1\r\n")
	if got := c.rest(); !strings.HasPrefix(got, "HTTP/1.1 408 ") {
		t.Fatalf("partial head: %q", got)
	}
}

func TestHTTPClientTimeoutSlowReader(t *testing.T) {
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
