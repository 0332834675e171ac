package engine

import (
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// retryCase is a backend's `retry-on` and its servers' failures, and the
// request sent through it.
type retryCase struct {
	name    string
	backend string        // the backend's lines; its servers are S1, S2 (retry origins) and DEAD
	origins []retryOrigin // S1, S2
	req     string
	split   bool   // the request's body goes 100 ms after its head
	req2    string // a request sent on the same connection after the first response, or ""
}

// run sends c's request through one side, with origins of its own, and
// returns what the client got, the attempts of each origin and the log
// line's fields.
func (c *retryCase) run(t *testing.T, bin string, side int) string {
	t.Helper()
	fill := []string{"DEAD", deadAddr()}
	origins := make([]*retryOrigin, len(c.origins))
	for i := range c.origins {
		o := &retryOrigin{name: c.origins[i].name, how: c.origins[i].how, fails: c.origins[i].fails, ok: c.origins[i].ok}
		origins[i] = o
		fill = append(fill, "S"+strconv.Itoa(i+1), startRaw(t, o.serve).Addr)
	}
	sock := t.TempDir() + "/stats.sock"
	tmpl := `global
  stats socket ` + sock + `
defaults
  mode http
  option httplog
  log {LOG} local0
  timeout connect 500ms
  timeout client 5s
  timeout server 300ms
frontend fe
  bind {BIND}
  default_backend be
backend be
  ` + strings.ReplaceAll(c.backend, "\n", "\n  ") + "\n"
	s := proxySide{name: "haproxy"}
	var e *Engine
	pairs := append([]string{"{BIND}", "127.0.0.1:" + strconv.Itoa(freePort())}, fill...)
	s.logs = logSocket(t)
	pairs = append(pairs, "{LOG}", s.logs.LocalAddr().String())
	cfg := strings.NewReplacer(pairs...).Replace(tmpl)
	if side == sideHAProxy {
		s.addr = startHAProxy(t, bin, cfg)
	} else {
		s.name = "engine"
		e, s.addr = startEngine(t, strings.Replace(cfg, "global\n  stats socket "+sock+"\n", "", 1))
	}
	drainLog(s.logs, 200*time.Millisecond, false)
	cl := dialFor(t, s.addr, 10*time.Second)
	if h := strings.Index(c.req, "\r\n\r\n") + 4; c.split {
		cl.send(c.req[:h])
		time.Sleep(100 * time.Millisecond)
		cl.send(c.req[h:])
	} else {
		cl.send(c.req)
	}
	status, body := cl.retryResponse(c.req)
	line, err := nextLog(s.logs, 3*time.Second)
	if err != nil {
		t.Fatalf("no log line from %s: %v", s.name, err)
	}
	if c.req2 != "" {
		cl.send(c.req2)
		status, body = cl.retryResponse(c.req2)
		if line, err = nextLog(s.logs, 3*time.Second); err != nil {
			line = "none"
		}
	}
	_ = cl.c.Close()
	var seen []string
	for _, o := range origins {
		seen = append(seen, fmt.Sprintf("%s read %d", o.name, o.seen.Load()))
	}
	view := "no log line"
	if line != "none" {
		view = failoverView(t, status, "", line)
		if strings.Contains(view, " SC-- ") {
			// After a retry that connected, haproxy 2.6 keeps that
			// connection's Tc for a last attempt refused, or not, by the
			// timing of the refusal: seen both ways under load.
			view = strings.NewReplacer(" Tc short ", " Tc ? ", " Tc none ", " Tc ? ").Replace(view)
		}
	}
	return fmt.Sprintf("%d %q; %s; %s; %s", status, body, strings.Join(seen, ", "), view,
		retryCounters(t, e, sock))
}

// retryCounters returns the retries (wretr) and redispatches (wredis) of
// backend be and its servers: from the engine when e is set, else from
// haproxy's `show stat` on its stats socket.
func retryCounters(t *testing.T, e *Engine, sock string) string {
	t.Helper()
	var out []string
	if e != nil {
		for _, b := range e.Backends() {
			if b.Name != "be" {
				continue
			}
			for _, s := range b.Servers {
				out = append(out, fmt.Sprintf("%s wretr %d wredis %d", s.Name, s.Retries, s.Redisp))
			}
			out = append(out, fmt.Sprintf("BACKEND wretr %d wredis %d", b.Retries, b.Redisp))
		}
		return strings.Join(out, ", ")
	}
	c, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.WriteString(c, "show stat\n")
	csv, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(csv), "\n")
	cols := strings.Split(strings.TrimPrefix(lines[0], "# "), ",")
	at := func(name string) int { return slices.Index(cols, name) }
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) < len(cols) || f[0] != "be" {
			continue
		}
		out = append(out, fmt.Sprintf("%s wretr %s wredis %s", f[1], f[at("wretr")], f[at("wredis")]))
	}
	return strings.Join(out, ", ")
}

// TestRetryOnHAProxyDifferential sends one request through haproxy 2.6 and
// the engine in front of origins that fail it in each way `retry-on`
// names, and compares what the client gets, how many times each origin
// read the request and what the log line says.
func TestRetryOnHAProxyDifferential(t *testing.T) {
	bin := haproxyBinLong(t)
	one := func(how failure, fails int64) []retryOrigin {
		return []retryOrigin{{name: "s1", how: how, fails: fails}}
	}
	post := func(n int) string {
		return "POST /r HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(n) + "\r\n\r\n" + strings.Repeat("a", n)
	}
	chunk := func(n int) string {
		return "POST /r HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + strconv.FormatInt(int64(n), 16) + "\r\n" +
			strings.Repeat("a", n) + "\r\n0\r\n\r\n"
	}
	chunked := "POST /r HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
	cases := []retryCase{
		{name: "empty once", backend: "retry-on empty-response\nserver s1 S1", origins: one(failClose, 1), req: retryGet},
		{name: "empty always", backend: "retry-on empty-response\nretries 2\nserver s1 S1", origins: one(failClose, 9), req: retryGet},
		{name: "empty not asked", backend: "retry-on conn-failure\nserver s1 S1", origins: one(failClose, 1), req: retryGet},
		{name: "no l7", backend: "retry-on empty-response\nhttp-request disable-l7-retry\nserver s1 S1", origins: one(failClose, 1), req: retryGet},
		{name: "no l7 dead", backend: "retry-on all-retryable-errors\nretries 1\nhttp-request disable-l7-retry if TRUE\nserver d DEAD", req: retryGet},
		{name: "reset", backend: "retry-on empty-response\nserver s1 S1", origins: one(failReset, 1), req: retryGet},
		{name: "junk once", backend: "retry-on junk-response\nserver s1 S1", origins: one(failJunk, 1), req: retryGet},
		{name: "junk always", backend: "retry-on junk-response\nserver s1 S1", origins: one(failJunk, 9), req: retryGet},
		{name: "partial head junk", backend: "retry-on junk-response\nserver s1 S1", origins: one(failPartial, 1), req: retryGet},
		{name: "partial head empty", backend: "retry-on empty-response\nserver s1 S1", origins: one(failPartial, 1), req: retryGet},
		{name: "timeout once", backend: "retry-on response-timeout\nserver s1 S1", origins: one(failHold, 1), req: retryGet},
		{name: "timeout always", backend: "retry-on response-timeout\nretries 2\nserver s1 S1", origins: one(failHold, 9), req: retryGet},
		{name: "503 twice", backend: "retry-on 503\nserver s1 S1", origins: one(fail503, 2), req: retryGet},
		{name: "503 always", backend: "retry-on 503 504\nserver s1 S1", origins: one(fail503, 9), req: retryGet},
		{name: "504 once", backend: "retry-on all-retryable-errors\nserver s1 S1", origins: one(fail504, 1), req: retryGet},
		{name: "404 not asked", backend: "retry-on all-retryable-errors\nserver s1 S1", origins: one(fail404, 1), req: retryGet},
		{name: "404 asked", backend: "retry-on 404\nretries 1\nserver s1 S1", origins: one(fail404, 1), req: retryGet},
		{name: "body", backend: "retry-on empty-response 503\nserver s1 S1", origins: one(failClose, 1), req: retryPost},
		{name: "body 503", backend: "retry-on 503\nserver s1 S1", origins: one(fail503, 1), req: retryPost},
		{name: "none dead", backend: "retry-on none\nserver d1 DEAD", origins: nil, req: retryGet},
		{name: "503 only dead", backend: "retry-on 503\nserver d1 DEAD", origins: nil, req: retryGet},
		{name: "redispatch last", backend: "retry-on 503\noption redispatch\nbalance first\nserver s1 S1\nserver s2 S2", origins: []retryOrigin{{name: "s1", how: fail503, fails: 9}, {name: "s2"}}, req: retryGet},
		{name: "redispatch every", backend: "retry-on 503\noption redispatch 1\nbalance source\nserver s1 S1\nserver s2 S2", origins: []retryOrigin{{name: "s1", how: fail503, fails: 9}, {name: "s2", how: fail503, fails: 9}}, req: retryGet},
		// The request takes 15357 bytes of HAProxy's buffer with a body
		// of 15210, one more per byte: 15360 fit (tune.bufsize less
		// tune.maxrewrite).
		{name: "body 15210", backend: "retry-on empty-response\nserver s1 S1", origins: one(failClose, 1), req: post(15210)},
		{name: "body 15213", backend: "retry-on empty-response\nserver s1 S1", origins: one(failClose, 1), req: post(15213)},
		{name: "body 15214", backend: "retry-on empty-response\nserver s1 S1", origins: one(failClose, 1), req: post(15214)},
		{name: "chunked 15180", backend: "retry-on empty-response\nserver s1 S1", origins: one(failClose, 1), req: chunk(15180)},
		{name: "chunked 15190", backend: "retry-on empty-response\nserver s1 S1", origins: one(failClose, 1), req: chunk(15190)},
		{name: "chunked 15200", backend: "retry-on empty-response\nserver s1 S1", origins: one(failClose, 1), req: chunk(15200)},
		{name: "chunked 15210", backend: "retry-on empty-response\nserver s1 S1", origins: one(failClose, 1), req: chunk(15210)},
		{name: "body 20000", backend: "retry-on empty-response\nserver s1 S1", origins: one(failClose, 1), req: post(20000)},
		{name: "split body", backend: "retry-on empty-response\nserver s1 S1", origins: one(failClose, 1), req: retryPost, split: true},
		{name: "chunked body", backend: "retry-on empty-response\nserver s1 S1", origins: one(failClose, 1), req: chunked},
		{name: "keep-alive close", backend: "retry-on empty-response\nserver s1 S1",
			origins: []retryOrigin{{name: "s1", how: failClose, fails: 1, ok: 1}}, req: retryGet, req2: retryGet},
		{name: "keep-alive 503", backend: "retry-on 503\nserver s1 S1",
			origins: []retryOrigin{{name: "s1", how: fail503, fails: 1, ok: 1}}, req: retryGet, req2: retryGet},
		{name: "connect then 503", backend: "retry-on conn-failure 503\nretries 2\noption redispatch\nbalance first\nserver d1 DEAD\nserver s1 S1",
			origins: one(fail503, 9), req: retryGet},
		{name: "timeout redispatch", backend: "retry-on response-timeout\noption redispatch\nbalance first\nserver s1 S1\nserver s2 S2",
			origins: []retryOrigin{{name: "s1", how: failHold, fails: 9}, {name: "s2"}}, req: retryPost},
		{name: "redispatch hash last", backend: "retry-on 503\noption redispatch\nbalance source\nserver s1 S1\nserver s2 S2",
			origins: []retryOrigin{{name: "s1", how: fail503, fails: 9}, {name: "s2", how: fail503, fails: 9}}, req: retryGet},
		{name: "redispatch cookie", backend: "retry-on 503\noption redispatch\ncookie SRV insert\nserver s1 S1 cookie a\nserver s2 S2 cookie b",
			origins: []retryOrigin{{name: "s1", how: fail503, fails: 9}, {name: "s2"}}, req: "GET /r HTTP/1.1\r\nHost: x\r\nCookie: SRV=a\r\n\r\n"},
		{name: "no redispatch", backend: "retry-on 503\nretries 2\nbalance first\nserver s1 S1\nserver s2 S2",
			origins: []retryOrigin{{name: "s1", how: fail503, fails: 9}, {name: "s2"}}, req: retryGet},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			want := c.run(t, bin, sideHAProxy)
			got := c.run(t, bin, sideEngine)
			t.Log(got)
			if want != got {
				t.Errorf("\nhaproxy %s\nengine  %s", want, got)
			}
		})
	}
}
