package engine

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHTTPMaxConnQueue(t *testing.T) {
	t.Parallel()
	origins := startOrigins(t, 1)
	cfg := func(queue string) string {
		return fmt.Sprintf(`defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
  timeout queue %s
frontend fe
  bind 127.0.0.1:%d
  default_backend be
backend be
  cookie SRV insert indirect
  server s1 %s maxconn 1 cookie a
`, queue, freePort(), origins[0].Addr)
	}
	run := func(addr string, n int, cookie string) []int {
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := dial(t, addr)
				c.send("GET /?delay=200ms HTTP/1.1\r\nHost: x\r\n" + cookie + "\r\n")
				r, _ := c.response("GET")
				statuses[i] = r.StatusCode
			}()
		}
		wg.Wait()
		return statuses
	}
	// Balanced and persistent requests wait for the slot and all succeed,
	// one at a time.
	_, addr := startEngine(t, cfg("5s"))
	for _, cookie := range []string{"", "Cookie: SRV=a\r\n"} {
		start := time.Now()
		st := run(addr, 3, cookie)
		if fmt.Sprint(st) != "[200 200 200]" {
			t.Fatalf("cookie %q: statuses %v", cookie, st)
		}
		if d := time.Since(start); d < 600*time.Millisecond {
			t.Fatalf("three requests on a maxconn 1 server took %v: not serialised", d)
		}
	}
	// A short queue timeout turns the waiting ones into 503s.
	_, addr = startEngine(t, cfg("50ms"))
	st := run(addr, 3, "")
	ok, unavailable := 0, 0
	for _, s := range st {
		switch s {
		case 200:
			ok++
		case 503:
			unavailable++
		}
	}
	if ok != 1 || unavailable != 2 {
		t.Fatalf("statuses %v, want one 200 and two 503", st)
	}
}

// TestHTTPQueueLog: the log of queued requests reads as HAProxy's: Tw is
// the time spent waiting, Tc starts when the slot came, %bc counts the
// requests waiting in the backend, and %bq (balanced) or %sq (persistent)
// gives the position: one plus the requests served from the queue while
// the request waited.
func TestHTTPQueueLog(t *testing.T) {
	t.Parallel()
	origins := startOrigins(t, 1)
	cfg, pc := withHTTPLog(t, fmt.Sprintf(`defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
  timeout queue 500ms
frontend fe
  bind 127.0.0.1:%d
  default_backend be
backend be
  cookie SRV insert indirect
  server s1 %s maxconn 1 cookie a
`, freePort(), origins[0].Addr))
	// One loop: each loop serves its own waiting requests in order, and
	// the order across loops depends on which sees the free slot first.
	_, addr := startEngine(t, "global\n  nbthread 1\n"+cfg)
	buf := make([]byte, 2048)
	for _, cookie := range []string{"", "Cookie: SRV=a\r\n"} {
		// The first is served at once (400 ms) while the two others
		// wait; the third gives up at 700 ms, the second is served from
		// 400 to 800 ms.
		for i := range 3 {
			c := dial(t, addr)
			c.send("GET /?delay=400ms HTTP/1.1\r\nHost: x\r\n" + cookie + "\r\n")
			go func() { _, _ = io.ReadAll(c.br) }()
			if i < 2 {
				time.Sleep(100 * time.Millisecond)
			}
		}
		pos := func(n int) string { // %sq/%bq for a position n
			if cookie != "" {
				return fmt.Sprintf(" %d/0 ", n)
			}
			return fmt.Sprintf(" 0/%d ", n)
		}
		for i, want := range [][]string{
			{" be/s1 0/0/", " 200 ", "/2/0/0" + pos(0)},
			{" be/<NOSRV> 0/", "/-1/-1/", " 503 ", " sQ", "/1/0/0" + pos(2)},
			{" be/s1 0/", "/0/", " 200 ", "/0/0/0" + pos(1)},
		} {
			_ = pc.SetReadDeadline(time.Now().Add(3 * time.Second))
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				t.Fatalf("cookie %q: log line %d: %v", cookie, i, err)
			}
			line := string(buf[:n])
			for _, w := range want {
				if !strings.Contains(line, w) {
					t.Fatalf("cookie %q: log line %d %q lacks %q", cookie, i, line, w)
				}
			}
			if i > 0 {
				tw := strings.Split(strings.Fields(line[strings.Index(line, " be/"):])[1], "/")[1]
				if ms, _ := strconv.Atoi(tw); ms < 150 || ms > 650 {
					t.Fatalf("cookie %q: log line %d %q: waited %s ms in the queue", cookie, i, line, tw)
				}
			}
		}
	}
}

// TestQueueRedistributed: a persistent request waiting for a server at its
// maxconn goes to another server when that one stops (here a health
// change) and `option redispatch` is set, as HAProxy redistributes its
// queue; without redispatch it keeps waiting for its server.
func TestQueueRedistributed(t *testing.T) {
	t.Parallel()
	origins := startOrigins(t, 2)
	cfg := func(redispatch string) string {
		return fmt.Sprintf(`defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
  timeout queue 400ms
  %s
frontend fe
  bind 127.0.0.1:%d
  default_backend be
backend be
  cookie SRV insert indirect
  server s1 %s maxconn 1 cookie a
  server s2 %s cookie b
`, redispatch, freePort(), origins[0].Addr, origins[1].Addr)
	}
	for _, tc := range []struct {
		redispatch     string
		status         int
		server, cookie string
	}{
		{"option redispatch", 200, "s2", "SRV=b"},
		{"", 503, "", ""},
	} {
		e, addr := startEngine(t, cfg(tc.redispatch))
		// inBackend waits until the backend holds n requests (HAProxy's
		// beconn: queued ones included).
		inBackend := func(n int64) {
			for deadline := time.Now().Add(5 * time.Second); e.Backends()[0].Conns != n; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the backend never held %d requests", n)
				}
			}
		}
		holder := dial(t, addr)
		holder.send("GET /?delay=700ms HTTP/1.1\r\nHost: x\r\nCookie: SRV=a\r\n\r\n")
		inBackend(1) // s1's slot is taken
		waiting := dial(t, addr)
		waiting.send("GET / HTTP/1.1\r\nHost: x\r\nCookie: SRV=a\r\n\r\n")
		inBackend(2) // the request waits for s1
		if err := e.SetServerHealth("be", "s1", HealthDown); err != nil {
			t.Fatal(err)
		}
		r, _ := waiting.response("GET")
		if got := r.Header.Get("X-Server"); r.StatusCode != tc.status || got != tc.server {
			t.Errorf("%q: the waiting request got %d from %q, want %d from %q", tc.redispatch, r.StatusCode, got, tc.status, tc.server)
		}
		if c, _, _ := strings.Cut(r.Header.Get("Set-Cookie"), ";"); c != tc.cookie {
			t.Errorf("%q: Set-Cookie %q, want %q", tc.redispatch, c, tc.cookie)
		}
	}
}
