package engine

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
)

// TestHTTPChaos throws clients and servers that misbehave at random at an
// engine (cut requests, garbage, early closes, servers that die or stall
// at any point) and then checks that ordinary requests still work and that
// every client connection was released.
func TestHTTPChaos(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("chaos")
	}
	good := startOrigins(t, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	var mu sync.Mutex
	pick := func(n int) int { mu.Lock(); defer mu.Unlock(); return rng.IntN(n) }
	bad := startRaw(t, func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		for {
			if _, _, err := r.ReadRequest(br); err != nil {
				return
			}
			full := "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"
			switch pick(6) {
			case 0:
				return // close before answering
			case 1:
				io.WriteString(c, full[:pick(len(full))]) // cut anywhere
				return
			case 2:
				io.WriteString(c, "garbage\r\n\r\n")
				return
			case 3:
				io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")
				return
			case 4:
				time.Sleep(300 * time.Millisecond) // past the server timeout
				return
			default:
				io.WriteString(c, full)
			}
		}
	})
	cfg := fmt.Sprintf(`defaults
  mode http
  timeout connect 200ms
  timeout client 300ms
  timeout server 200ms
  timeout http-request 300ms
  retries 1
frontend fe
  bind 127.0.0.1:%d
  acl bad path_beg /bad
  acl dead path_beg /dead
  use_backend badbe if bad
  use_backend deadbe if dead
  default_backend be
backend be
  cookie SRV insert indirect nocache
  server s1 %s cookie a
backend deadbe
  server dead %s
backend badbe
  server b1 %s
`, freePort(), good[0].Addr, deadAddr(), bad.Addr)
	e, addr := startEngine(t, cfg)
	requests := []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /bad HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /dead HTTP/1.1\r\nHost: x\r\nCookie: SRV=a\r\n\r\n",
		"POST /?echo=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789",
		"POST /bad HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"GET /?chunked=70000 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /?size=200000 HTTP/1.0\r\n\r\n",
		"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		"\x00\x01garbage\r\n\r\n",
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for range 40 {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Error(err)
					return
				}
				var msg string
				for range 1 + r.IntN(3) {
					msg += requests[r.IntN(len(requests))]
				}
				if r.IntN(3) == 0 {
					msg = msg[:r.IntN(len(msg))]
				}
				_ = c.SetDeadline(time.Now().Add(3 * time.Second))
				_, _ = io.WriteString(c, msg)
				switch r.IntN(3) {
				case 0:
					_ = c.Close()
				case 1:
					_ = c.(*net.TCPConn).CloseWrite()
					_, _ = io.Copy(io.Discard, c)
					_ = c.Close()
				default:
					buf := make([]byte, 1+r.IntN(4096))
					_, _ = io.ReadFull(c, buf)
					_ = c.Close()
				}
			}
		}()
	}
	wg.Wait()
	// The engine still serves, and every client connection is released.
	c := dial(t, addr)
	for range 3 {
		c.send("GET /?size=3 HTTP/1.1\r\nHost: x\r\n\r\n")
		if r, body := c.response("GET"); r.StatusCode != 200 || body != "abc" {
			t.Fatalf("after the chaos: %d %q", r.StatusCode, body)
		}
	}
	c.c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for e.server().Clients() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d client connections still open", e.server().Clients())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var open int64
	for _, fe := range e.fronts {
		open += fe.conns.Load()
	}
	if open != 0 {
		t.Fatalf("frontend counts %d connections after all closed", open)
	}
	for _, b := range e.Backends() {
		if b.Conns != 0 {
			t.Fatalf("backend %s counts %d connections in use", b.Name, b.Conns)
		}
		for i, s := range b.Servers {
			if s.Conns != 0 || e.byName[b.Name].snap.Load().counters.Active(i) != 0 {
				t.Fatalf("server %s/%s counts connections in use", b.Name, s.Name)
			}
		}
	}
}
