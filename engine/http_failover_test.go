package engine

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
)

// deadAddr returns an address nothing listens on. Its port stays bound
// (see refusing) until the test binary exits, so that no listener started
// later takes it.
func deadAddr() string {
	addr, _ := refusing()
	return addr.String()
}

// TestHTTPUpgradeTunnel checks that an upgrade to any protocol but h2c
// reaches the server with its Connection and Upgrade fields, and that the
// server's 101 turns the exchange into a tunnel.
func TestHTTPUpgradeTunnel(t *testing.T) {
	t.Parallel()
	for _, proto := range []string{"websocket", "foo/2"} {
		t.Run(proto, func(t *testing.T) {
			raw := startRaw(t, func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
				req, _, err := r.ReadRequest(br)
				if err != nil || req.Header.Get("Upgrade") != proto || !strings.EqualFold(req.Header.Get("Connection"), "upgrade") {
					io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
					return
				}
				io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: "+proto+"\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
				_, _ = io.Copy(c, br) // echo
			})
			_, addr := startEngine(t, rawConfig(raw.Addr, "  timeout tunnel 2s\n"))
			c := dial(t, addr)
			c.send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: " + proto + "\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
			r, _ := c.response("GET")
			if r.StatusCode != 101 {
				t.Fatalf("status %d", r.StatusCode)
			}
			for i := range 3 {
				msg := fmt.Sprintf("frame %d", i)
				c.send(msg)
				got := make([]byte, len(msg))
				if _, err := io.ReadFull(c.br, got); err != nil || string(got) != msg {
					t.Fatalf("echo %q, %v", got, err)
				}
			}
		})
	}
}

// TestHTTPUpgradeRefused checks that an h2c upgrade, and any upgrade from
// an HTTP/1.0 client, reaches the server as a plain request, and that a 101
// to it is answered with a 502.
func TestHTTPUpgradeRefused(t *testing.T) {
	t.Parallel()
	for _, req := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n",
		"GET / HTTP/1.0\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
	} {
		seen := make(chan string, 1)
		raw := startRaw(t, func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
			req, _, err := r.ReadRequest(br)
			if err != nil {
				return
			}
			seen <- req.Header.Get("Upgrade") + "|" + req.Header.Get("Connection") + "|" + req.Header.Get("HTTP2-Settings")
			io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n")
		})
		_, addr := startEngine(t, rawConfig(raw.Addr, ""))
		c := dial(t, addr)
		c.send(req)
		r, _ := c.response("GET")
		if r.StatusCode != 502 {
			t.Errorf("%q: status %d, want 502 for a 101 to an upgrade not forwarded", req, r.StatusCode)
		}
		select {
		case got := <-seen:
			if got != "||" {
				t.Errorf("%q: server saw Upgrade|Connection|HTTP2-Settings %q, want none", req, got)
			}
		case <-time.After(2 * time.Second):
			t.Errorf("%q: the server saw no request", req)
		}
	}
}

func TestHTTPRetriesAndRedispatch(t *testing.T) {
	t.Parallel()
	os := startOrigins(t, 1)
	dead := deadAddr()
	cfg := func(extra string) string {
		return fmt.Sprintf(`defaults
  mode http
  timeout connect 100ms
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:%d
  default_backend be
backend be
  cookie SRV insert indirect
  retries 2
%s  server dead %s cookie d
  server live %s cookie l
`, freePort(), extra, dead, os[0].Addr)
	}
	// Without redispatch, a request stuck to the dead server fails after
	// the retries, each after the turn-around delay.
	_, addr := startEngine(t, cfg(""))
	c := dial(t, addr)
	start := time.Now()
	c.send("GET / HTTP/1.1\r\nHost: x\r\nCookie: SRV=d\r\n\r\n")
	r, _ := c.response("GET")
	if r.StatusCode != 503 {
		t.Fatalf("without redispatch: %d", r.StatusCode)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("two retries took %v: no turn-around delay", d)
	}
	// With redispatch, the last retry goes to the live server, which sets
	// its own cookie.
	_, addr = startEngine(t, cfg("  option redispatch\n"))
	c = dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\nCookie: SRV=d\r\n\r\n")
	r, _ = c.response("GET")
	if r.StatusCode != 200 || r.Header.Get("X-Server") != "s1" || r.Header.Get("Set-Cookie") != "SRV=l; path=/" {
		t.Fatalf("redispatch: %d %v", r.StatusCode, r.Header)
	}
}

func TestHTTPStalePooledConnection(t *testing.T) {
	t.Parallel()
	// The origin answers one request per connection and closes the
	// connection when the next request arrives on it, without a response:
	// a reused connection fails before any response byte, and the request
	// must be retried on a new connection, never failed.
	var answered atomic.Int64
	raw := startRaw(t, func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		if _, _, err := r.ReadRequest(br); err != nil {
			return
		}
		answered.Add(1)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		_, _, _ = r.ReadRequest(br)
	})
	_, addr := startEngine(t, rawConfig(raw.Addr, ""))
	c := dial(t, addr)
	for i := range 5 {
		c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if r, body := c.response("GET"); r.StatusCode != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q", i, r.StatusCode, body)
		}
	}
	if n := answered.Load(); n != 5 {
		t.Fatalf("origin answered %d requests", n)
	}
	if n := raw.Requests(); n != 9 {
		t.Fatalf("origin read %d requests, want 9 (4 on stale connections)", n)
	}
}

func TestHTTPServerStates(t *testing.T) {
	t.Parallel()
	os := startOrigins(t, 3)
	e, addr := startEngine(t, backendConfig(`  cookie SRV insert indirect
  server s1 %s cookie c1
  server s2 %s cookie c2 disabled
  server s3 %s cookie c3 backup
`, os[0].Addr, os[1].Addr, os[2].Addr))
	c := dial(t, addr)
	for range 4 {
		c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if r, _ := c.response("GET"); r.Header.Get("X-Server") != "s1" {
			t.Fatalf("served by %s", r.Header.Get("X-Server"))
		}
	}
	// A cookie for a server in maintenance is ignored.
	c.send("GET / HTTP/1.1\r\nHost: x\r\nCookie: SRV=c2\r\n\r\n")
	if r, _ := c.response("GET"); r.Header.Get("X-Server") != "s1" || r.Header.Get("Set-Cookie") != "SRV=c1; path=/" {
		t.Fatalf("maint cookie: %v", r.Header)
	}
	// Drain keeps persistent requests; maint of s1 leaves the backup.
	if err := e.SetServerState("be", "s1", StateDrain); err != nil {
		t.Fatal(err)
	}
	c.send("GET / HTTP/1.1\r\nHost: x\r\nCookie: SRV=c1\r\n\r\n")
	if r, _ := c.response("GET"); r.Header.Get("X-Server") != "s1" {
		t.Fatalf("drain, persistent: %s", r.Header.Get("X-Server"))
	}
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if r, _ := c.response("GET"); r.Header.Get("X-Server") != "s3" {
		t.Fatalf("drain, new: %s", r.Header.Get("X-Server"))
	}
	if err := e.SetServerState("be", "s2", StateReady); err != nil {
		t.Fatal(err)
	}
	c.send("GET / HTTP/1.1\r\nHost: x\r\nCookie: SRV=c2\r\n\r\n")
	if r, _ := c.response("GET"); r.Header.Get("X-Server") != "s2" {
		t.Fatalf("after ready: %s", r.Header.Get("X-Server"))
	}
}

func TestHTTPBadResponses(t *testing.T) {
	t.Parallel()
	replies := map[string]string{
		"/badstatus": "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
		"/closed":    "",
		"/badcl":     "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nx",
		"/partial":   "HTTP/1.1 200 OK\r\nContent-Len",
	}
	raw := startRaw(t, func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		req, _, err := r.ReadRequest(br)
		if err != nil {
			return
		}
		io.WriteString(c, replies[req.URL.Path])
	})
	_, addr := startEngine(t, rawConfig(raw.Addr, ""))
	for path := range replies {
		c := dial(t, addr)
		c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
		r, body := c.response("GET")
		if r.StatusCode != 502 || body != errBody502 {
			t.Fatalf("%s: %d %q", path, r.StatusCode, body)
		}
	}
}

// TestHTTPConnectionModes: the connection options as HAProxy applies them:
// only the frontend's decides for the client connection, the frontend's
// and the backend's for the server connections.
func TestHTTPConnectionModes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mode     string
		frontend bool // the option is in the frontend, else in the backend
	}{
		{"http-keep-alive", false},
		{"http-server-close", false},
		{"httpclose", false},
		{"http-server-close", true},
		{"httpclose", true},
	} {
		name := tt.mode + " in the backend"
		if tt.frontend {
			name = tt.mode + " in the frontend"
		}
		t.Run(name, func(t *testing.T) {
			origins := startOrigins(t, 1)
			cfg := basicConfig(origins, "  option "+tt.mode+"\n")
			if tt.frontend {
				cfg = strings.Replace(basicConfig(origins, ""), "  default_backend be\n", "  option "+tt.mode+"\n  default_backend be\n", 1)
			}
			_, addr := startEngine(t, cfg)
			closeClient := tt.frontend && tt.mode == "httpclose"
			c := dial(t, addr)
			for range 3 {
				c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
				r, _ := c.response("GET")
				if r.StatusCode != 200 {
					t.Fatalf("status %d", r.StatusCode)
				}
				if r.Close != closeClient {
					t.Fatalf("the response says close %v", r.Close)
				}
				if closeClient {
					if !c.closed() {
						t.Fatal("httpclose kept the client connection")
					}
					c = dial(t, addr)
				}
			}
			conns := origins[0].Conns()
			switch {
			case tt.mode == "http-keep-alive" && conns != 1:
				t.Fatalf("keep-alive: %d server connections for 3 requests", conns)
			case tt.mode != "http-keep-alive" && conns != 3:
				t.Fatalf("%s: %d server connections for 3 requests", tt.mode, conns)
			}
		})
	}
}

func TestHTTP10Server(t *testing.T) {
	t.Parallel()
	raw := startRaw(t, func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		if _, _, err := r.ReadRequest(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	_, addr := startEngine(t, rawConfig(raw.Addr, ""))
	c := dial(t, addr)
	for range 2 {
		c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		r, body := c.response("GET")
		if r.Proto != "HTTP/1.0" || body != "ok" || r.Close || r.Header.Get("Connection") != "keep-alive" {
			t.Fatalf("%s %q close=%v %v", r.Proto, body, r.Close, r.Header)
		}
	}
}

func TestHTTPConnectTunnel(t *testing.T) {
	t.Parallel()
	raw := startRaw(t, func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		req, err := http.ReadRequest(br)
		if err != nil || req.Method != "CONNECT" {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
		_, _ = io.Copy(c, br)
	})
	_, addr := startEngine(t, rawConfig(raw.Addr, ""))
	c := dial(t, addr)
	c.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
	line, _ := c.br.ReadString('\n')
	if line != "HTTP/1.1 200 Connection established\r\n" {
		t.Fatalf("status line %q", line)
	}
	for l, _ := c.br.ReadString('\n'); l != "\r\n"; l, _ = c.br.ReadString('\n') {
		if l == "" {
			t.Fatal("head not ended")
		}
	}
	c.send("ping")
	got := make([]byte, 4)
	if _, err := io.ReadFull(c.br, got); err != nil || string(got) != "ping" {
		t.Fatalf("tunnel echo %q, %v", got, err)
	}
}
