package engine

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
)

// The access log differential tests run one exchange through haproxy and
// through tether, on the same configuration and the same origin, and
// compare the httplog lines both send to a UDP socket. The fields that
// differ between runs (the client port, the date, the timers' values) are
// masked: a timer keeps only whether it is -1.

// logCase is one exchange of the access log differential tests.
type logCase struct {
	name string
	// cfg is the configuration; runLogCase fills in its {LOG}, {BIND},
	// {SRV} (the origin's address), {DEAD} (a port nobody listens on) and
	// {FULL} (a listener whose accept queue is full).
	cfg string
	// origin serves each connection the proxy opens; nil for none.
	origin func(c net.Conn, br *bufio.Reader)
	// client runs the exchange against the proxy's address.
	client func(t *testing.T, addr string)
	// lines is the number of log lines the exchange produces (1 if 0; -1
	// for none).
	lines int
	// masked hides %B: a body cut by a timer or a client at a point that
	// differs between runs, or a reply the proxy makes itself (whose %B
	// is another test's).
	masked bool
}

// logBase is the configuration most cases use: httplog to {LOG}, short
// timeouts, one frontend and one backend with one server.
const logBase = `defaults
  mode http
  log {LOG} local0
  option httplog
  timeout connect 500ms
  timeout client 500ms
  timeout server 500ms
frontend fe
  bind {BIND}
  default_backend be
backend be
  server s1 {SRV}
`

// maskLog reduces a logged line to the fields both proxies must agree
// on: the syslog header but its priority and a tag other than the
// program's name, the client port, the date and the timers' values are
// masked, and %B when bytes is set.
var (
	logHeaderRE = regexp.MustCompile(`^(<\d+>)\w{3} [ \d]\d \d\d:\d\d:\d\d (\S+)\[\d+\]: `)
	logClientRE = regexp.MustCompile(`^127\.0\.0\.1:\d+ \[[^\]]+\] `)
	logTimersRE = regexp.MustCompile(`^(C \[D\] \S+ \S+ )(-?\d+)/(-?\d+)/(-?\d+)/(-?\d+)/(\+?-?\d+) `)
	logBytesRE  = regexp.MustCompile(`^(C \[D\] \S+ \S+ \S+ -?\d+ )\d+ `)
)

func maskLog(line string, bytes bool) string {
	line = strings.TrimSuffix(line, "\n")
	pri := ""
	if m := logHeaderRE.FindStringSubmatch(line); m != nil {
		pri, line = m[1], line[len(m[0]):]
		if tag := m[2]; tag != "haproxy" && tag != "tether" { // not the program's name: a log-tag
			pri += tag
		}
	}
	line = logClientRE.ReplaceAllString(line, "C [D] ")
	line = logTimersRE.ReplaceAllStringFunc(line, func(s string) string {
		m := logTimersRE.FindStringSubmatch(s)
		out := m[1]
		for i, v := range m[2:] {
			if i > 0 {
				out += "/"
			}
			if v == "-1" {
				out += "-1"
			} else {
				out += "T"
			}
		}
		return out + " "
	})
	if bytes {
		line = logBytesRE.ReplaceAllString(line, "${1}B ")
	}
	return pri + " " + line
}

// runLogCase runs c through one side (startSide) and returns the masked
// lines it logged.
func runLogCase(t *testing.T, bin string, side int, c logCase) []string {
	t.Helper()
	srv, dead := deadAddr(), deadAddr()
	if c.origin != nil {
		srv = startRaw(t, func(_ *testorigin.Raw, conn net.Conn, br *bufio.Reader) { c.origin(conn, br) }).Addr
	}
	fill := []string{"{SRV}", srv, "{DEAD}", dead}
	if strings.Contains(c.cfg, "{FULL}") {
		fill = append(fill, "{FULL}", blackhole(t).String())
	}
	s := startSide(t, bin, side, c.cfg, fill...)
	// Lines logged before the exchange (haproxy's start probe) are not
	// the case's; the probe's connection must be gone too, or haproxy
	// counts it in the case's line (%ac, %fc): a loaded machine takes a
	// while.
	drainLog(s.logs, 500*time.Millisecond, false)
	c.client(t, s.addr)
	want := max(c.lines, 1)
	var out []string
	for len(out) < want {
		line, err := nextLog(s.logs, 3*time.Second)
		if err != nil {
			break
		}
		out = append(out, maskLog(line, c.masked))
	}
	return append(out, drainLog(s.logs, 300*time.Millisecond, c.masked)...)
}

// drainLog returns the masked lines that arrive within d.
func drainLog(pc net.PacketConn, d time.Duration, bytes bool) []string {
	var out []string
	for {
		line, err := nextLog(pc, d)
		if err != nil {
			return out
		}
		out = append(out, maskLog(line, bytes))
	}
}

// diffLogCases runs each case through haproxy and tether and requires the
// same masked lines. The cases run in parallel (each has its own proxies,
// origin and log socket): most of their time is spent waiting for timeouts
// and for log lines.
func diffLogCases(t *testing.T, cases []logCase) {
	bin := haproxyBinLong(t)
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			// The connection counts of a line (%ac/%fc) include a
			// connection the proxy has not yet seen close, such as
			// the harness's start probe on a loaded machine: a case
			// whose lines differ runs again once, with fresh proxies;
			// the second difference fails.
			for attempt := 1; ; attempt++ {
				want := runLogCase(t, bin, sideHAProxy, c)
				got := runLogCase(t, bin, sideEngine, c)
				slices.Sort(got)
				slices.Sort(want)
				if strings.Join(got, "\n") == strings.Join(want, "\n") {
					return
				}
				if attempt == 2 {
					t.Errorf("haproxy logged\n%s\ntether logged\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
					return
				}
				t.Logf("lines differ, run again:\nhaproxy\n%s\ntether\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
			}
		})
	}
}

// Client actions of the cases.

// logDial connects to addr.
func logDial(t *testing.T, addr string) net.Conn {
	t.Helper()
	return dialFor(t, addr, 5*time.Second).c
}

// sendThen sends s, waits d, then closes (or reads until closed when read
// is set).
func sendThen(s string, d time.Duration, read bool) func(t *testing.T, addr string) {
	return func(t *testing.T, addr string) {
		c := logDial(t, addr)
		if s != "" {
			_, _ = io.WriteString(c, s)
		}
		if read {
			_, _ = io.Copy(io.Discard, c)
		} else {
			time.Sleep(d)
		}
		_ = c.Close()
	}
}

// readHeadThenClose sends s, reads the first line of the answer and
// closes.
func readHeadThenClose(s string) func(t *testing.T, addr string) {
	return func(t *testing.T, addr string) {
		c := logDial(t, addr)
		_, _ = io.WriteString(c, s)
		_, _ = bufio.NewReader(c).ReadString('\n')
		_ = c.Close()
	}
}

// answer writes a fixed response after reading one request head.
func answer(resp string) func(c net.Conn, br *bufio.Reader) {
	return func(c net.Conn, br *bufio.Reader) {
		if readHead(br) {
			_, _ = io.WriteString(c, resp)
		}
	}
}

// readHead reads a head up to its empty line and reports whether it came
// whole.
func readHead(br *bufio.Reader) bool {
	return readFields(br, func(string, string) {}) == nil
}

const getReq = "GET /x HTTP/1.1\r\nHost: x\r\n\r\n"

// TestHTTPLogHAProxyOutcomes: every ending of an exchange we can provoke
// is logged as haproxy logs it: termination state, status, server,
// counters, timers that are -1, and %B except where it is masked.
func TestHTTPLogHAProxyOutcomes(t *testing.T) {
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	think := func(c net.Conn, br *bufio.Reader) { readHead(br); time.Sleep(time.Second) }
	drain := func(c net.Conn, br *bufio.Reader) { readHead(br); _, _ = io.Copy(io.Discard, br) }
	stream := func(c net.Conn, br *bufio.Reader) {
		readHead(br)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n")
		buf := make([]byte, 16<<10)
		for range 6000 {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}
	slow := func(c net.Conn, br *bufio.Reader) {
		readHead(br)
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(c, ok)
	}
	queued := func(n int) func(t *testing.T, addr string) {
		return func(t *testing.T, addr string) {
			var cs []net.Conn
			for range n {
				c := logDial(t, addr)
				_, _ = io.WriteString(c, getReq)
				cs = append(cs, c)
				time.Sleep(30 * time.Millisecond)
			}
			for _, c := range cs {
				_, _ = io.Copy(io.Discard, c)
			}
		}
	}
	post := "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"
	upgrade := "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"
	switched := "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"
	with := func(old, new string) string { return strings.Replace(logBase, old, new, 1) }
	diffLogCases(t, []logCase{
		{name: "ok", cfg: logBase, origin: answer(ok), client: sendThen(getReq, 0, true)},
		{name: "null connection", cfg: logBase, client: sendThen("", 50*time.Millisecond, false)},
		{name: "partial head then close", cfg: logBase, client: sendThen("GET /x HT", 50*time.Millisecond, false)},
		{name: "partial head then client timeout", cfg: logBase, client: sendThen("GET /x HT", 0, true), masked: true},
		{name: "nothing then client timeout", cfg: logBase, client: sendThen("", 0, true), masked: true},
		{name: "http-request timeout", cfg: with("timeout client 500ms", "timeout client 2s\n  timeout http-request 300ms"),
			client: sendThen("GET /x HT", 0, true), masked: true},
		{name: "bad request", cfg: logBase, client: sendThen("GET / HTTP/1.1\r\nHost x\r\n\r\n", 0, true), masked: true},
		{name: "body upload then close", cfg: logBase, origin: drain, client: sendThen(post, 100*time.Millisecond, false)},
		{name: "body upload then timeout", cfg: logBase, origin: drain, client: sendThen(post, 0, true), masked: true},
		{name: "client leaves while server thinks", cfg: logBase, origin: think, client: sendThen(getReq, 100*time.Millisecond, false), masked: true},
		{name: "client leaves during response", cfg: logBase, origin: stream, client: readHeadThenClose(getReq), masked: true},
		{name: "client does not read", cfg: logBase, origin: stream, client: sendThen(getReq, 2*time.Second, false), masked: true},
		{name: "server refuses", cfg: with("{SRV}", "{DEAD}"), client: sendThen(getReq, 0, true), masked: true},
		{name: "server refuses without retries", cfg: with("{SRV}", "{DEAD}\n  retries 0"), client: sendThen(getReq, 0, true), masked: true},
		{name: "redispatch", cfg: with("server s1 {SRV}", "option redispatch\n  server s0 {DEAD}\n  server s1 {SRV}"),
			origin: answer(ok), client: sendThen(getReq, 0, true)},
		{name: "connect timeout", cfg: with("{SRV}", "{FULL}\n  retries 1"), client: sendThen(getReq, 0, true), masked: true},
		{name: "server closes before head", cfg: logBase, origin: func(c net.Conn, br *bufio.Reader) { readHead(br) },
			client: sendThen(getReq, 0, true), masked: true},
		{name: "server closes during head", cfg: logBase, origin: answer("HTTP/1.1 200 OK\r\nContent-Le"), client: sendThen(getReq, 0, true), masked: true},
		{name: "server closes during body", cfg: logBase, origin: answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"),
			client: sendThen(getReq, 0, true)},
		{name: "server timeout before head", cfg: logBase, origin: think, client: sendThen(getReq, 0, true), masked: true},
		{name: "server timeout during body", cfg: logBase, origin: func(c net.Conn, br *bufio.Reader) {
			readHead(br)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
			time.Sleep(time.Second)
		}, client: sendThen(getReq, 0, true)},
		{name: "bad response", cfg: logBase, origin: answer("HTTP/1.1 abc\r\n\r\n"), client: sendThen(getReq, 0, true), masked: true},
		{name: "no server", cfg: with("  server s1 {SRV}\n", ""), client: sendThen(getReq, 0, true), masked: true},
		{name: "queue timeout", cfg: with("{SRV}", "{SRV} maxconn 1\n  timeout queue 100ms"), origin: slow, client: queued(2), lines: 2, masked: true},
		// One thread: tether's loops keep a queue each, and a slot freed on
		// one loop reaches a request waiting on another after the line of
		// the request that freed it is logged, where haproxy counts the
		// waiting request on the server at once (%sc).
		{name: "queue full", cfg: "global\n  nbthread 1\n" + with("{SRV}", "{SRV} maxconn 1 maxqueue 1"), origin: slow, client: queued(3), lines: 3, masked: true},
		{name: "keep-alive idle close", cfg: logBase, origin: answer(ok), client: readHeadThenClose(getReq)},
		{name: "keep-alive timeout", cfg: logBase, origin: answer(ok), client: sendThen(getReq, 0, true)},
		{name: "tunnel closed by server", cfg: logBase, origin: answer(switched), client: sendThen(upgrade, 0, true)},
		{name: "tunnel closed by client", cfg: logBase, origin: func(c net.Conn, br *bufio.Reader) {
			readHead(br)
			_, _ = io.WriteString(c, switched)
			_, _ = io.Copy(io.Discard, br)
		}, client: readHeadThenClose(upgrade)},
		{name: "tunnel timeout", cfg: with("timeout server 500ms", "timeout server 500ms\n  timeout tunnel 300ms"), origin: func(c net.Conn, br *bufio.Reader) {
			readHead(br)
			_, _ = io.WriteString(c, switched)
			_, _ = io.Copy(io.Discard, br)
		}, client: sendThen(upgrade, 0, true)},
		{name: "dontlognull null", cfg: with("option httplog", "option httplog\n  option dontlognull"), client: sendThen("", 50*time.Millisecond, false), lines: -1},
		{name: "dontlognull partial", cfg: with("option httplog", "option httplog\n  option dontlognull"), client: sendThen("GET", 50*time.Millisecond, false)},
		{name: "dontlognull timeout", cfg: with("option httplog", "option httplog\n  option dontlognull"), client: sendThen("", 0, true), lines: -1},
		{name: "ignore-probes null", cfg: with("option httplog", "option httplog\n  option http-ignore-probes"), client: sendThen("", 50*time.Millisecond, false), lines: -1},
		{name: "ignore-probes timeout", cfg: with("option httplog", "option httplog\n  option http-ignore-probes"), client: sendThen("", 0, true), lines: -1},
	})
}

// TestHTTPLogHAProxyBytes: %B counts a response as haproxy does, in its
// internal form: the start line's parts and 20, each field's name and
// value as its parser keeps them, 1 for the end of the head, the body's
// data, and for a chunked body its trailer fields and 1 more; not the
// fields the proxy adds (an inserted cookie).
func TestHTTPLogHAProxyBytes(t *testing.T) {
	var cases []logCase
	for _, tt := range []struct{ name, req, resp string }{
		{"content-length", getReq, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{"chunked", getReq, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"},
		{"chunked empty", getReq, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
		{"trailers", getReq, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-T:   a b  \r\nY: \r\n\r\n"},
		{"until close", getReq, "HTTP/1.1 200 OK\r\n\r\nokokok"},
		{"no reason", getReq, "HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok"},
		{"blanks around a value", getReq, "HTTP/1.1 200 OK\r\nX-A:   spaced   \r\nContent-Length: 2\r\n\r\nok"},
		{"HTTP/1.0", getReq, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{"connection options", getReq, "HTTP/1.1 200 OK\r\nConnection: x-foo, Keep-Alive,  y-bar ,close\r\nContent-Length: 2\r\n\r\nok"},
		{"connection close", getReq, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"},
		{"content-length list", getReq, "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok"},
		{"content-length and chunked", getReq, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
		{"hop-by-hop fields", getReq, "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nProxy-Connection: close\r\nUpgrade: foo\r\nContent-Length: 2\r\n\r\nok"},
		{"204", getReq, "HTTP/1.1 204 No Content\r\n\r\n"},
		{"304", getReq, "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"},
		{"HEAD", "HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"},
		{"inserted cookie", getReq, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
	} {
		cfg := logBase
		if tt.name == "inserted cookie" {
			cfg = strings.Replace(cfg, "server s1 {SRV}", "cookie SRV insert indirect nocache\n  server s1 {SRV} cookie abc", 1)
		}
		resp := tt.resp
		cases = append(cases, logCase{name: tt.name, cfg: cfg, origin: func(c net.Conn, br *bufio.Reader) {
			if readHead(br) {
				_, _ = io.WriteString(c, resp)
			}
		}, client: sendThen(tt.req, 0, true)})
	}
	diffLogCases(t, cases)
}

// TestHTTPLogHAProxyErrors: `option dontlog-normal` logs only failed
// exchanges, and `option log-separate-errors` logs them at level "err",
// which a `log` line whose maximum level is "notice" lets through.
func TestHTTPLogHAProxyErrors(t *testing.T) {
	cfg := strings.Replace(logBase, "option httplog", "option httplog\n  option dontlog-normal\n  option log-separate-errors\n  log {LOG} local1 notice", 1)
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	diffLogCases(t, []logCase{
		{name: "normal", cfg: cfg, origin: answer(ok), client: sendThen(getReq, 0, true), lines: -1},
		{name: "server error", cfg: cfg, origin: answer("HTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\nok"), client: sendThen(getReq, 0, true), lines: 2},
		{name: "client abort", cfg: cfg, client: sendThen("GET /x HT", 50*time.Millisecond, false), lines: 2},
		{name: "only logged to info", cfg: strings.Replace(cfg, "  option log-separate-errors\n", "", 1),
			client: sendThen("GET /x HT", 50*time.Millisecond, false)},
	})
}

// TestHTTPLogHAProxyLen: `log ... len` cuts each line sent to that
// target at its length, and a length above 1024 lengthens every line of
// the process (HAProxy's line buffer is as long as the longest `len`).
// The lines are framed raw, so that the cuts fall at the same place.
func TestHTTPLogHAProxyLen(t *testing.T) {
	bin := haproxyBinLong(t)
	cfg := strings.Replace(logBase, "  log {LOG} local0\n",
		"  log {SHORT} len 80 format raw local0\n  log {LONG} len 1300 format raw local0\n  log {LOG} format raw local0\n", 1)
	srv := rawOrigin(t, []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), 1)
	run := func(side int, uri string) []string {
		short, long := logSocket(t), logSocket(t)
		s := startSide(t, bin, side, cfg, "{SHORT}", short.LocalAddr().String(), "{LONG}", long.LocalAddr().String(), "{SRV}", srv)
		pcs := []net.PacketConn{short, long, s.logs}
		for _, pc := range pcs {
			drainLog(pc, 100*time.Millisecond, false)
		}
		sendThen("GET "+uri+" HTTP/1.1\r\nHost: x\r\n\r\n", 0, false)(t, s.addr)
		var out []string
		for _, pc := range pcs {
			line, err := nextLog(pc, 3*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, line)
		}
		return out
	}
	for _, n := range []int{200, 1000, 1015, 1400} {
		uri := "/" + strings.Repeat("a", n)
		want := run(sideHAProxy, uri)
		got := run(sideEngine, uri)
		for i := range want {
			// The client's port and the timers may differ in length:
			// cut lines are compared by length and end, whole ones
			// masked.
			w, g := want[i], got[i]
			if len(w) != len(g) || !strings.HasSuffix(w, g[max(len(g)-20, 0):]) {
				t.Errorf("uri of %d bytes, target %d: haproxy sent %d bytes\n%q\ntether %d\n%q", n, i, len(w), w, len(g), g)
			} else if strings.HasSuffix(w, "\"\n") && maskLog(w, false) != maskLog(g, false) {
				t.Errorf("uri of %d bytes, target %d: haproxy sent\n%q\ntether\n%q", n, i, w, g)
			}
		}
	}
}

// TestHTTPLogHAProxyTargets: `log global` takes the global section's
// lines (facility and level filter included), in defaults as in a
// frontend, and `no log` drops the lines a frontend inherited.
func TestHTTPLogHAProxyTargets(t *testing.T) {
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	global := "global\n  log {LOG} local3\n  log {LOG} local4 notice\n" + logBase
	diffLogCases(t, []logCase{
		{name: "log global in defaults", cfg: strings.Replace(global, "  log {LOG} local0\n", "  log global\n", 1),
			origin: answer(ok), client: sendThen(getReq, 0, true)},
		{name: "log global in frontend", cfg: strings.Replace(global, "  bind {BIND}\n", "  bind {BIND}\n  log global\n  log {LOG} len 200 local5 info\n", 1),
			origin: answer(ok), client: sendThen(getReq, 0, true), lines: 3},
		{name: "sample", cfg: strings.Replace(logBase, "option httplog", "option httplog\n  option dontlognull\n  log {LOG} sample 2-3,5:5 local1", 1),
			// One connection for the six requests: a connection per
			// request makes each line's connection counts depend on
			// whether the proxy had seen the previous one close. The
			// origin keeps its connections too: one it closed may be
			// reused before the proxy sees the close, and the client's
			// connection is then closed without an answer.
			origin: func(c net.Conn, br *bufio.Reader) {
				for readHead(br) {
					_, _ = io.WriteString(c, ok)
				}
			}, client: func(t *testing.T, addr string) {
				c := logDial(t, addr)
				br := bufio.NewReader(c)
				for i := range 6 {
					req, err := http.NewRequest("GET", "http://x/"+strconv.Itoa(i), nil)
					if err != nil {
						t.Fatal(err)
					}
					if err := req.Write(c); err != nil {
						t.Fatal(err)
					}
					resp, err := http.ReadResponse(br, req)
					if err != nil {
						t.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}, lines: 9},
		{name: "log-tag", cfg: strings.Replace(global, "global\n", "global\n  log-tag edge\n", 1), origin: answer(ok), client: sendThen(getReq, 0, true)},
		{name: "log-tag in frontend", cfg: strings.Replace(strings.Replace(global, "global\n", "global\n  log-tag edge\n", 1), "  bind {BIND}\n", "  bind {BIND}\n  log global\n  log-tag web\n", 1),
			origin: answer(ok), client: sendThen(getReq, 0, true), lines: 2},
		{name: "log-tag in defaults", cfg: strings.Replace(logBase, "  option httplog\n", "  option httplog\n  log-tag dflt\n", 1),
			origin: answer(ok), client: sendThen(getReq, 0, true)},
		{name: "no log", cfg: strings.Replace(logBase, "  bind {BIND}\n", "  bind {BIND}\n  no log\n", 1),
			origin: answer(ok), client: sendThen(getReq, 0, true), lines: -1},
	})
}
