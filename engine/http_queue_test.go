package engine

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestHTTPMaxConnQueue(t *testing.T) {
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
