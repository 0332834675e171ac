package engine

import (
	"fmt"
	"testing"

	"tether/engine/internal/testorigin"
)

// balanceConfig renders a backend balanced by algo over origins with the
// given weights.
func balanceConfig(origins []*testorigin.Origin, algo string, weights ...int) string {
	s := fmt.Sprintf("defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n"+
		"frontend fe\n  bind 127.0.0.1:%d\n  default_backend be\nbackend be\n  balance %s\n", freePort(), algo)
	for i, o := range origins {
		s += fmt.Sprintf("  server s%d %s weight %d\n", i+1, o.Addr, weights[i])
	}
	return s
}

func TestHTTPBalanceAlgorithms(t *testing.T) {
	t.Parallel()
	origins := startOrigins(t, 3)
	cases := []struct {
		algo    string
		weights []int
		req     func(i int) string
		check   func(t *testing.T, served []string)
	}{
		{"roundrobin", []int{2, 1, 1}, func(int) string { return "GET / HTTP/1.1\r\nHost: x\r\n\r\n" },
			func(t *testing.T, served []string) {
				wantCounts(t, served, map[string]int{"s1": 20, "s2": 10, "s3": 10})
			}},
		{"static-rr", []int{1, 1, 2}, func(int) string { return "GET / HTTP/1.1\r\nHost: x\r\n\r\n" },
			func(t *testing.T, served []string) {
				wantCounts(t, served, map[string]int{"s1": 10, "s2": 10, "s3": 20})
			}},
		{"first", []int{1, 1, 1}, func(int) string { return "GET / HTTP/1.1\r\nHost: x\r\n\r\n" },
			func(t *testing.T, served []string) { wantCounts(t, served, map[string]int{"s1": 40}) }},
		{"source", []int{1, 1, 1}, func(int) string { return "GET / HTTP/1.1\r\nHost: x\r\n\r\n" },
			func(t *testing.T, served []string) { wantSame(t, served, func(int) int { return 0 }) }},
		{"uri", []int{1, 1, 1}, func(i int) string { return fmt.Sprintf("GET /p%d HTTP/1.1\r\nHost: x\r\n\r\n", i%4) },
			func(t *testing.T, served []string) { wantSame(t, served, func(i int) int { return i % 4 }) }},
		{"url_param u", []int{1, 1, 1}, func(i int) string { return fmt.Sprintf("GET /x?a=1&u=%d HTTP/1.1\r\nHost: x\r\n\r\n", i%5) },
			func(t *testing.T, served []string) { wantSame(t, served, func(i int) int { return i % 5 }) }},
		{"hdr(x-user)", []int{1, 1, 1}, func(i int) string { return fmt.Sprintf("GET / HTTP/1.1\r\nHost: x\r\nX-User: u%d\r\n\r\n", i%3) },
			func(t *testing.T, served []string) { wantSame(t, served, func(i int) int { return i % 3 }) }},
		{"leastconn", []int{1, 1, 1}, func(int) string { return "GET / HTTP/1.1\r\nHost: x\r\n\r\n" },
			func(t *testing.T, served []string) {
				if len(distinct(served)) < 2 {
					t.Fatalf("leastconn with no load used %v", distinct(served))
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.algo, func(t *testing.T) {
			_, addr := startEngine(t, balanceConfig(origins, tc.algo, tc.weights...))
			c := dial(t, addr)
			var served []string
			for i := range 40 {
				c.send(tc.req(i))
				r, _ := c.response("GET")
				served = append(served, r.Header.Get("X-Server"))
			}
			tc.check(t, served)
		})
	}
}

func wantCounts(t *testing.T, served []string, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	for _, s := range served {
		got[s]++
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("served %v, want %v", got, want)
	}
}

// wantSame checks that requests with the same key went to the same server.
func wantSame(t *testing.T, served []string, key func(i int) int) {
	t.Helper()
	by := map[int]string{}
	for i, s := range served {
		k := key(i)
		if prev, ok := by[k]; ok && prev != s {
			t.Fatalf("key %d served by %s and %s", k, prev, s)
		}
		by[k] = s
	}
}

func distinct(served []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range served {
		m[s] = true
	}
	return m
}
