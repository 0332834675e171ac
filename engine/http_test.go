package engine

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

func TestHTTPKeepAliveAndInsert(t *testing.T) {
	t.Parallel()
	os := startOrigins(t, 2)
	_, addr := startEngine(t, basicConfig(os, "  cookie SRV insert indirect nocache\n"))
	c := dial(t, addr)
	c.send("GET /a?cachecontrol=max-age%3D60 HTTP/1.1\r\nHost: x\r\n\r\n")
	r1, _ := c.response("GET")
	if r1.StatusCode != 200 {
		t.Fatalf("status %d", r1.StatusCode)
	}
	sc := r1.Header.Get("Set-Cookie")
	srv := r1.Header.Get("X-Server")
	if want := "SRV=c" + srv[1:] + "; path=/"; sc != want {
		t.Fatalf("set-cookie %q, want %q", sc, want)
	}
	if cc := strings.Join(r1.Header.Values("Cache-Control"), ","); cc != "max-age=60,private" {
		t.Fatalf("cache-control %q", cc)
	}
	for range 5 {
		c.send("GET /b HTTP/1.1\r\nHost: x\r\nCookie: a=1; SRV=c" + srv[1:] + "; b=2\r\n\r\n")
		r, _ := c.response("GET")
		if got := r.Header.Get("X-Server"); got != srv {
			t.Fatalf("sticky: served by %s, want %s", got, srv)
		}
		if got := r.Header.Get("X-Seen-Cookie"); got != "a=1; b=2" {
			t.Fatalf("server saw cookie %q", got)
		}
		if r.Header.Get("Set-Cookie") != "" {
			t.Fatalf("cookie inserted again: %q", r.Header.Get("Set-Cookie"))
		}
	}
	var total int64
	for _, o := range os {
		total += o.Requests()
	}
	if total != 6 {
		t.Fatalf("origins got %d requests, want 6", total)
	}
}

func TestHTTPPipelining(t *testing.T) {
	t.Parallel()
	os := startOrigins(t, 1)
	_, addr := startEngine(t, basicConfig(os, ""))
	c := dial(t, addr)
	c.send("GET /1?size=10 HTTP/1.1\r\nHost: x\r\n\r\n" +
		"POST /2?echo=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
		"GET /3?size=3000000 HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET /4?size=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	want := []string{"/1?size=10", "/2?echo=1", "/3?size=3000000", "/4?size=1"}
	for i, w := range want {
		r, body := c.response("GET")
		if got := r.Header.Get("X-Seen-Path"); got != w {
			t.Fatalf("response %d is for %q, want %q", i, got, w)
		}
		if i == 1 && body != "hello" {
			t.Fatalf("echo body %q", body)
		}
		if i == 2 && len(body) != 3000000 {
			t.Fatalf("body of %d bytes", len(body))
		}
	}
	if !c.closed() {
		t.Fatal("connection not closed after Connection: close")
	}
}

func TestHTTP10(t *testing.T) {
	t.Parallel()
	os := startOrigins(t, 1)
	_, addr := startEngine(t, basicConfig(os, ""))
	c := dial(t, addr)
	c.send("GET /?size=4 HTTP/1.0\r\n\r\n")
	r, body := c.response("GET")
	if r.StatusCode != 200 || body != "abcd" {
		t.Fatalf("status %d body %q", r.StatusCode, body)
	}
	if !c.closed() {
		t.Fatal("HTTP/1.0 connection without keep-alive not closed")
	}
	c = dial(t, addr)
	c.send("GET /?size=4 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	r, _ = c.response("GET")
	if !strings.EqualFold(r.Header.Get("Connection"), "keep-alive") {
		t.Fatalf("Connection %q", r.Header.Get("Connection"))
	}
	c.send("GET /?size=4 HTTP/1.0\r\n\r\n")
	if r, _ = c.response("GET"); r.StatusCode != 200 {
		t.Fatalf("second request: %d", r.StatusCode)
	}
}

func TestHTTPHalfClosedClient(t *testing.T) {
	t.Parallel()
	os := startOrigins(t, 1)
	_, addr := startEngine(t, basicConfig(os, ""))
	for _, size := range []int{5, 5 << 20} {
		c := dial(t, addr)
		c.send(fmt.Sprintf("GET /?size=%d HTTP/1.1\r\nHost: x\r\n\r\n", size))
		if err := c.c.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		r, body := c.response("GET")
		if r.StatusCode != 200 || len(body) != size {
			t.Fatalf("after the client's FIN: %d, %d bytes of %d", r.StatusCode, len(body), size)
		}
		if !c.closed() {
			t.Fatal("connection not closed after the response")
		}
	}
}

func TestHTTPFrontendMaxConn(t *testing.T) {
	t.Parallel()
	os := startOrigins(t, 1)
	cfg := strings.Replace(basicConfig(os, ""), "  default_backend be\n", "  default_backend be\n  maxconn 2\n", 1)
	_, addr := startEngine(t, cfg)
	a, b := dial(t, addr), dial(t, addr)
	a.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	a.response("GET")
	b.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	b.response("GET")
	// A third connection waits in the backlog: no answer until one of
	// the others closes, then it is served.
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	_ = c.c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := c.br.Peek(1); err == nil {
		t.Fatal("a third connection was served over maxconn 2")
	}
	a.c.Close()
	_ = c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if r, _ := c.response("GET"); r.StatusCode != 200 {
		t.Fatalf("status %d", r.StatusCode)
	}
}
