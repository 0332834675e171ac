package engine

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// logFields picks from an httplog line: backend/server, Tw, Tc, status,
// termination flags, backend connections, retries (with its '+') and the
// two queue positions.
var logFields = regexp.MustCompile(` (\S+/\S+) -?\d+/(-?\d+)/(-?\d+)/-?\d+/-?\d+ (-?\d+) \d+ \S+ \S+ (\S{4}) \d+/\d+/(\d+)/\d+/(\+?\d+) (\d+)/(\d+) "`)

// failoverView is what a failover test compares of one request: the status
// and server the client saw, and the log line's fields, with the waits
// reduced to none (-1), short or at least one turn-around delay.
func failoverView(t *testing.T, status int, server, line string) string {
	t.Helper()
	m := logFields.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("log line %q does not parse", line)
	}
	wait := func(s string) string {
		switch v, _ := strconv.Atoi(s); {
		case v < 0:
			return "none"
		case v < 60:
			return "short"
		}
		return "delayed"
	}
	return fmt.Sprintf("%d from %q; log %s %s Tw %s Tc %s %s bc %s retries %s queues %s/%s",
		status, server, m[1], m[4], wait(m[2]), wait(m[3]), m[5], m[6], m[7], m[8], m[9])
}

// TestRedispatchHAProxyDifferential sends the same requests through haproxy
// 2.6 and the engine in front of a refusing server and a live one, and
// compares what the client sees and what the log says. With `option
// redispatch`, HAProxy retries a balanced request elsewhere at once when
// more than one active server is usable and the algorithm is not a hash;
// a request sent by its cookie, a hash, or a single active server waits
// the turn-around delay and redispatches on the last retry; the log's '+'
// appears only when the server changed, and Tw runs to the last
// assignment. A connect timeout (a server whose accept queue is full) is
// retried at once, with no turn-around delay, and logged sC.
func TestRedispatchHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBin(t)
	origins := startOrigins(t, 2)
	dead := deadAddr()
	hole := blackhole(t).String()
	backends := map[string]string{
		"rr":     "balance roundrobin\n  server d1 DEAD\n  server s1 LIVE1\n",
		"lc":     "balance leastconn\n  server d1 DEAD\n  server s1 LIVE1\n",
		"first":  "balance first\n  server d1 DEAD\n  server s1 LIVE1\n",
		"param":  "balance url_param k\n  server d1 DEAD\n  server s1 LIVE1\n  server s2 LIVE2\n",
		"backup": "server d1 DEAD\n  server s1 LIVE1 backup\n",
		"direct": "cookie SRV insert indirect\n  server d1 DEAD cookie d1\n  server s1 LIVE1 cookie s1\n",
		"never":  "no option redispatch\n  balance roundrobin\n  server d1 DEAD\n  server s1 LIVE1\n",
		"hole":   "no option redispatch\n  server h1 HOLE\n",
		"holer":  "balance roundrobin\n  server h1 HOLE\n  server s1 LIVE1\n",
		"holeb":  "server h1 HOLE\n  server s1 LIVE1 backup\n",
	}
	var b strings.Builder
	b.WriteString(`defaults
  mode http
  option httplog
  option dontlognull
  log {LOG} local0
  timeout connect 100ms
  timeout client 5s
  timeout server 5s
  retries 3
  option redispatch
frontend fe
  bind {BIND}
`)
	for name := range backends {
		fmt.Fprintf(&b, "  use_backend %s if { path_beg /%s/ }\n", name, name)
	}
	for name, body := range backends {
		fmt.Fprintf(&b, "backend %s\n  %s", name, body)
	}
	pair := startPair(t, bin, b.String(), "DEAD", dead, "HOLE", hole, "LIVE1", origins[0].Addr, "LIVE2", origins[1].Addr)
	requests := []string{
		"GET /rr/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /lc/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /first/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /backup/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /direct/ HTTP/1.1\r\nHost: x\r\nCookie: SRV=d1\r\n\r\n",
		"GET /direct/ HTTP/1.1\r\nHost: x\r\nCookie: SRV=s1\r\n\r\n",
		"GET /never/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /never/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /hole/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /holer/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /holeb/ HTTP/1.1\r\nHost: x\r\n\r\n",
	}
	for k := range 6 {
		requests = append(requests, "GET /param/?k="+strconv.Itoa(k)+" HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	for _, req := range requests {
		want, got := pair.views(func(s proxySide) string {
			c := dial(t, s.addr)
			start := time.Now()
			c.send(req)
			r, _ := c.response("GET")
			if d := time.Since(start); strings.Contains(req, "/hole/") && s.name == "engine" && d > 650*time.Millisecond {
				t.Errorf("four connect timeouts of 100 ms took %v: retried after a turn-around delay", d)
			}
			_ = c.c.Close()
			line, err := nextLog(s.logs, 3*time.Second)
			if err != nil {
				t.Fatalf("%q: no log line from %s: %v", req, s.name, err)
			}
			return failoverView(t, r.StatusCode, r.Header.Get("X-Server"), line)
		})
		if want != got {
			t.Errorf("%q:\n haproxy %s\n engine  %s", req, want, got)
		}
	}
}
