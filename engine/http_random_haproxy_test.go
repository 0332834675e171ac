package engine

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The random differential test generates connections of ordinary, valid
// HTTP/1.x traffic (methods, versions, targets, Connection tokens, bodies
// with Content-Length or chunked, trailers, Expect, interim responses,
// close-delimited responses, pipelining, fields of every shape, and now and
// then a server that closes early or answers garbage) and sends
// the same connections through HAProxy 2.6 and tether, in each connection
// mode. It compares what the server receives, what the client receives and
// whether each connection stays open, as the heads differential test does,
// on traffic nobody wrote by hand. Hop-by-hop fields other than Connection
// are not generated (tether removes them on purpose, HAProxy 2.6 passes
// most), nor interim responses to HTTP/1.0 clients (tether never sends
// them, as the engine issue asks). The suite runs one fixed seed;
// TETHER_RANDOM_SEED runs another, to explore, and TETHER_RANDOM_CASES sets
// how many connections each mode sends.

// randomExchange is one generated request and the response the server
// gives it.
type randomExchange struct {
	id       string // unique target path, /r/<connection>-<request>
	request  string
	method   string
	response string
	close    bool // the server closes after its response
	cut      int  // the client sends this many bytes of its request and closes; 0: all of it
}

// randomConn is one generated client connection.
type randomConn struct {
	exchanges []randomExchange
	pipelined bool // every request is sent at once, before any response
}

// randomGen draws traffic from a seeded source.
type randomGen struct{ r *rand.Rand }

func (g randomGen) pick(s ...string) string { return s[g.r.IntN(len(s))] }
func (g randomGen) chance(p float64) bool   { return g.r.Float64() < p }

// token returns a short random run of letters and digits.
func (g randomGen) token(n int) string {
	const set = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 1+g.r.IntN(n))
	for i := range b {
		b[i] = set[g.r.IntN(len(set))]
	}
	return string(b)
}

// body returns n printable bytes.
func (g randomGen) body(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(' ' + g.r.IntN(95))
	}
	return string(b)
}

// name returns a field name in a random case.
func (g randomGen) name(n string) string {
	switch g.r.IntN(3) {
	case 0:
		return strings.ToLower(n)
	case 1:
		return strings.ToUpper(n)
	}
	return n
}

// field returns one header line with random blanks around the value.
func (g randomGen) field(name, value string) string {
	return g.name(name) + ":" + g.pick("", " ", "  ", "\t", " \t") + value + g.pick("", "", " ", "\t") + "\r\n"
}

// chunked encodes body in random chunks, with chunk extensions and trailers
// sometimes.
func (g randomGen) chunked(body string) string {
	var b strings.Builder
	for len(body) > 0 {
		n := 1 + g.r.IntN(len(body))
		size := strconv.FormatInt(int64(n), 16)
		if g.chance(0.2) {
			size = strings.ToUpper(size)
		}
		if g.chance(0.1) {
			size = "0" + size
		}
		b.WriteString(size)
		if g.chance(0.15) {
			b.WriteString(";ext=" + g.token(4))
		}
		b.WriteString("\r\n" + body[:n] + "\r\n")
		body = body[n:]
	}
	b.WriteString("0\r\n")
	if g.chance(0.2) {
		b.WriteString(g.field("X-Trailer-"+g.token(3), g.token(8)))
	}
	b.WriteString("\r\n")
	return b.String()
}

// extraFields returns a few end-to-end fields.
func (g randomGen) extraFields(response bool) string {
	var pool []func() string
	if response {
		pool = []func() string{
			func() string { return g.field("Set-Cookie", g.token(5)+"="+g.token(10)+"; Path=/") },
			func() string {
				return g.field("Set-Cookie", "SRV="+g.token(8)+g.pick("", "; Path=/", "; Max-Age=60; HttpOnly"))
			},
			func() string { return g.field("Cache-Control", g.pick("no-cache", "private", "max-age=60", "public")) },
			func() string { return g.field("Content-Type", "text/plain") },
			func() string { return g.field("Server", "origin/"+g.token(3)) },
			func() string { return g.field("ETag", `"`+g.token(8)+`"`) },
			func() string { return g.field("Vary", "Accept-Encoding") },
			func() string { return g.field("X-"+g.token(6), g.token(20)) },
			func() string { return g.field("X-Empty", "") },
		}
	} else {
		pool = []func() string{
			func() string { return g.field("User-Agent", "random/"+g.token(4)) },
			func() string { return g.field("Accept", g.pick("*/*", "text/html, application/json;q=0.9")) },
			func() string { return g.field("Cookie", g.token(4)+"="+g.token(8)+"; "+g.token(3)+"="+g.token(5)) },
			func() string {
				return g.field("Cookie", g.pick("SRV=s1", "SRV=s2", "SRV=s1~"+g.token(6), "a=1; SRV=s1; b=2", "SRV=", "SRV=zz"))
			},
			func() string { return g.field("Accept-Encoding", "gzip, br") },
			func() string { return g.field("Authorization", "Bearer "+g.token(30)) },
			func() string { return g.field("X-"+g.token(6), g.token(20)) },
			func() string { return g.field("X-Long", g.body(2000+g.r.IntN(2000))) },
			func() string { return g.field("X-Empty", "") },
		}
	}
	var b strings.Builder
	for range g.r.IntN(5) {
		b.WriteString(pool[g.r.IntN(len(pool))]())
	}
	return b.String()
}

// exchange generates the request and the response of target id.
func (g randomGen) exchange(id string) randomExchange {
	e := randomExchange{id: id}
	version := "1.1"
	if g.chance(0.15) {
		version = "1.0"
	}
	e.method = g.pick("GET", "GET", "GET", "POST", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH")
	target := id
	if g.chance(0.5) {
		target += "?" + g.token(5) + "=" + g.token(10)
	}
	if g.chance(0.05) {
		target = "http://example.com" + target
	}
	var req strings.Builder
	fmt.Fprintf(&req, "%s %s HTTP/%s\r\n", e.method, target, version)
	if version == "1.1" || g.chance(0.5) {
		req.WriteString(g.field("Host", g.pick("x", "example.com", "a.b:8080")))
	}
	switch g.r.IntN(8) {
	case 0:
		req.WriteString(g.field("Connection", g.pick("close", "Close", "CLOSE")))
	case 1, 2:
		req.WriteString(g.field("Connection", g.pick("keep-alive", "Keep-Alive")))
	}
	req.WriteString(g.extraFields(false))
	body := ""
	if e.method == "POST" || e.method == "PUT" || e.method == "PATCH" || g.chance(0.05) {
		body = g.body(g.r.IntN(3000))
		if g.chance(0.1) {
			body = g.body(g.r.IntN(100000)) // past the buffers of both proxies
		}
	}
	expect := version == "1.1" && body != "" && g.chance(0.2)
	if expect {
		req.WriteString(g.field("Expect", "100-continue"))
	}
	switch {
	case body != "" && version == "1.1" && g.chance(0.4):
		req.WriteString(g.field("Transfer-Encoding", "chunked") + "\r\n" + g.chunked(body))
	case body != "" || (e.method == "POST" && g.chance(0.5)):
		req.WriteString(g.field("Content-Length", strconv.Itoa(len(body))) + "\r\n" + body)
	default:
		req.WriteString("\r\n")
	}
	e.request = req.String()
	if head := strings.Index(e.request, "\r\n\r\n") + 4; g.chance(0.03) {
		// The client gives up in the middle of its head or of its body.
		e.cut = 1 + g.r.IntN(len(e.request)-1)
		if len(e.request) > head && g.chance(0.7) {
			e.cut = head + g.r.IntN(len(e.request)-head)
		}
	}

	var resp strings.Builder
	rversion := "1.1"
	if g.chance(0.1) {
		rversion = "1.0"
	}
	rbody := g.body(g.r.IntN(4000))
	if g.chance(0.1) {
		rbody = g.body(g.r.IntN(100000))
	}
	// HAProxy 2.6.12 stalls after about 15 KB of a response whose head
	// arrives in the same read as an interim response before it: no
	// interim response comes before a long body.
	if version == "1.1" && rversion == "1.1" && len(rbody) < 8000 {
		if expect && g.chance(0.5) {
			resp.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
		}
		for g.chance(0.05) {
			resp.WriteString(g.pick("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n", "HTTP/1.1 102 Processing\r\n\r\n"))
		}
	}
	status := g.pick("200 OK", "200 OK", "200 OK", "201 Created", "204 No Content", "206 Partial Content",
		"301 Moved Permanently", "302 Found", "304 Not Modified", "404 Not Found", "500 Internal Server Error", "503 Service Unavailable")
	fmt.Fprintf(&resp, "HTTP/%s %s\r\n", rversion, status)
	resp.WriteString(g.extraFields(true))
	switch g.r.IntN(8) {
	case 0:
		resp.WriteString(g.field("Connection", "close"))
		e.close = true
	case 1:
		resp.WriteString(g.field("Connection", "keep-alive"))
	default:
		e.close = rversion == "1.0" // a server keeps what it says it keeps
	}
	bodiless := e.method == "HEAD" || strings.HasPrefix(status, "204") || strings.HasPrefix(status, "304")
	switch {
	case strings.HasPrefix(status, "204"):
		resp.WriteString("\r\n")
	case rversion == "1.1" && g.chance(0.3):
		resp.WriteString(g.field("Transfer-Encoding", "chunked") + "\r\n")
		if !bodiless {
			resp.WriteString(g.chunked(rbody))
		}
	case g.chance(0.1) && !bodiless:
		resp.WriteString("\r\n" + rbody) // delimited by the close
		e.close = true
	default:
		resp.WriteString(g.field("Content-Length", strconv.Itoa(len(rbody))) + "\r\n")
		if !bodiless {
			resp.WriteString(rbody)
		}
	}
	e.response = resp.String()
	// A server that fails; not after an interim response, where HAProxy
	// 2.6.12 goes on with the client connection after a cut response and
	// sends the next response as if it were the rest of the body.
	fails := g.r.IntN(40)
	if strings.HasPrefix(e.response, "HTTP/1.1 1") {
		fails = -1
	}
	switch fails {
	case 0: // closes without answering
		e.response, e.close = "", true
	case 1: // closes in the middle of its answer
		e.response, e.close = e.response[:g.r.IntN(len(e.response))], true
	case 2: // answers what is not HTTP
		e.response, e.close = g.pick("HTTP/1.1 2OO OK\r\n\r\n", "hello\r\n\r\n", "HTTP/1.1 200 OK\r\nBad Field: x\r\n\r\n"), true
	}
	return e
}

// randomConns generates n connections from seed.
func randomConns(seed uint64, n int) []randomConn {
	g := randomGen{rand.New(rand.NewPCG(seed, seed^0x5eed))}
	conns := make([]randomConn, n)
	for i := range conns {
		c := &conns[i]
		c.pipelined = g.chance(0.3)
		for j := range 1 + g.r.IntN(3) {
			e := g.exchange(fmt.Sprintf("/r/%d-%d", i, j))
			if e.cut > 0 && (c.pipelined || j > 0) {
				e.cut = 0 // a cut ends a connection sent one request at a time
			}
			c.exchanges = append(c.exchanges, e)
			if e.cut > 0 {
				break
			}
		}
	}
	return conns
}

// randomOrigin answers each generated request with its response and
// records the request as it arrived (see readRandomMessage).
type randomOrigin struct {
	ln        net.Listener
	responses map[string]*randomExchange
	mu        sync.Mutex
	seen      map[string]string
}

func startRandomOrigin(t *testing.T, conns []randomConn) *randomOrigin {
	t.Helper()
	o := &randomOrigin{responses: map[string]*randomExchange{}, seen: map[string]string{}}
	for i := range conns {
		for j := range conns[i].exchanges {
			e := &conns[i].exchanges[j]
			o.responses[e.id] = e
		}
	}
	o.ln = startOrigin(t, o.serve).ln
	return o
}

func (o *randomOrigin) serve(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return
		}
		target, _, _ := strings.Cut(strings.TrimPrefix(f[1], "http://example.com"), "?")
		msg, err := readRandomMessage(br, line, f[0], 0)
		o.mu.Lock()
		o.seen[target] = msg
		o.mu.Unlock()
		if err != nil {
			return
		}
		e, ok := o.responses[target]
		if !ok {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nprobe")
			continue
		}
		if _, err := io.WriteString(c, e.response); err != nil || e.close {
			return
		}
	}
}

// readRandomMessage reads the rest of a message whose first line is first:
// its fields (names in lower case, values without surrounding blanks, in
// order), its body (decoded when chunked, until the close when neither
// length is given for a response) and its trailers. For a response, status
// is its code and method the request's.
func readRandomMessage(br *bufio.Reader, first, method string, status int) (string, error) {
	var b strings.Builder
	b.WriteString(strings.TrimRight(first, "\r\n") + "\n")
	cl, chunked, hasCL := 0, false, false
	if err := readFields(br, func(name, value string) {
		fmt.Fprintf(&b, "%s: %s\n", name, value)
		switch name {
		case "content-length":
			cl, _ = strconv.Atoi(value)
			hasCL = true
		case "transfer-encoding":
			chunked = strings.EqualFold(value, "chunked")
		}
	}); err != nil {
		return b.String(), err
	}
	b.WriteString("\n")
	response := status != 0
	switch {
	case response && (method == "HEAD" || status == 204 || status == 304 || status < 200):
	case chunked:
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return b.String(), err
			}
			size, _, _ := strings.Cut(strings.TrimRight(l, "\r\n"), ";")
			n, err := strconv.ParseInt(size, 16, 32)
			if err != nil {
				return b.String(), err
			}
			if n == 0 {
				break
			}
			chunk := make([]byte, n+2)
			if _, err := io.ReadFull(br, chunk); err != nil {
				return b.String(), err
			}
			b.Write(chunk[:n])
		}
		if err := readFields(br, func(name, value string) { fmt.Fprintf(&b, "\ntrailer %s: %s", name, value) }); err != nil {
			return b.String(), err
		}
	case hasCL:
		body := make([]byte, cl)
		if _, err := io.ReadFull(br, body); err != nil {
			return b.String(), err
		}
		b.Write(body)
	case response:
		body, err := io.ReadAll(br)
		b.Write(body)
		return b.String(), err
	}
	return b.String(), nil
}

// randomResult is what one generated connection did through one proxy.
type randomResult struct {
	server []string // each request as the server saw it ("" if never)
	client []string // each response as the client got it, interim ones included
	open   bool     // the connection served a probe request afterwards
}

// runRandom sends the generated connections to addr, one after the other.
func runRandom(t *testing.T, addr string, o *randomOrigin, conns []randomConn) []randomResult {
	t.Helper()
	out := make([]randomResult, len(conns))
	for i, rc := range conns {
		res := &out[i]
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		if rc.pipelined {
			var all strings.Builder
			for _, e := range rc.exchanges {
				all.WriteString(e.request)
			}
			_, _ = io.WriteString(c, all.String())
		}
		alive := true
		for _, e := range rc.exchanges {
			if !alive {
				res.client = append(res.client, "not sent")
				continue
			}
			if e.cut > 0 {
				_, _ = io.WriteString(c, e.request[:e.cut])
				_ = c.Close() // only the access logs tell what happened
				res.client = append(res.client, "cut")
				alive = false
				continue
			}
			if !rc.pipelined {
				_, _ = io.WriteString(c, e.request)
			}
			got, ok := readRandomResponse(c, br, e.method)
			res.client = append(res.client, got)
			alive = ok
		}
		if alive {
			_, _ = io.WriteString(c, "GET /probe HTTP/1.1\r\nHost: x\r\n\r\n")
			got, _ := readRandomResponse(c, br, "GET")
			res.open = strings.HasSuffix(got, "\n\nprobe")
		}
		_ = c.Close()
		o.mu.Lock()
		for _, e := range rc.exchanges {
			if e.cut > 0 {
				res.server = append(res.server, "") // how much of it got through depends on timing
				continue
			}
			res.server = append(res.server, o.seen[e.id])
		}
		o.mu.Unlock()
	}
	return out
}

// readRandomResponse reads one final response and the interim ones before
// it; ok is false when the connection cannot carry another exchange (it
// closed, or a read failed).
func readRandomResponse(c net.Conn, br *bufio.Reader, method string) (string, bool) {
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	var all strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return all.String() + "no response (timeout)", false
			}
			return all.String() + "no response (closed)", false
		}
		f := strings.Fields(line)
		status := 0
		if len(f) >= 2 {
			status, _ = strconv.Atoi(f[1])
		}
		if status < 100 {
			return all.String() + "malformed status line " + strconv.Quote(line), false
		}
		msg, err := readRandomMessage(br, line, method, status)
		all.WriteString(msg)
		if err != nil {
			if errors.Is(err, io.EOF) && !strings.Contains(msg, "content-length:") && !strings.Contains(msg, "transfer-encoding:") {
				return all.String(), false // a body delimited by the close
			}
			return all.String() + "\nread error: " + err.Error(), false
		}
		if status >= 200 {
			return all.String(), true
		}
		all.WriteString("\n--- interim\n")
	}
}

// randomLogs reads the access log lines a run sent to pc, until none comes
// for a while, and returns them by the target they name: the server, the
// status, the captured cookies, the termination state and the request
// line of each (the timers,
// the byte counts, which depend on how each proxy rewrites a head, and the
// connection counts, which depend on when each proxy notices a close, are
// left out).
func randomLogs(t *testing.T, pc net.PacketConn) map[string]string {
	t.Helper()
	logs := map[string]string{}
	for {
		line, err := nextLog(pc, 500*time.Millisecond)
		if err != nil {
			return logs
		}
		f := strings.Fields(line[strings.Index(line, "] ")+2:])
		q := strings.Index(line, `"`)
		if len(f) < 9 || q < 0 {
			t.Fatalf("log line %q", line)
		}
		target := ""
		if r := strings.Fields(line[q:]); len(r) > 1 {
			target, _, _ = strings.Cut(strings.TrimPrefix(r[1], "http://example.com"), "?")
		}
		logs[target] = strings.Join([]string{f[1], f[3], f[5], f[6], f[7], line[q:]}, " ")
	}
}

// cutView is the part of a randomLogs line for a request the client cut
// short that does not depend on timing: where the proxy was when the
// close came (the server chosen or not, the second termination letter) is
// left out; the status, the captures, the first letter (C) and the cookie
// letters stay.
func cutView(line string) string {
	f := strings.SplitN(line, " ", 6)
	if len(f) < 6 || len(f[4]) != 4 {
		return line
	}
	f[0] = "*"
	f[4] = f[4][:1] + "*" + f[4][2:]
	return strings.Join(f, " ")
}

// clip shortens s for a report: the bodies are long and random.
func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

func TestRandomHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	seed := uint64(20261122) // fixed, so that a run of the suite repeats
	if s := os.Getenv("TETHER_RANDOM_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	n := 60
	if s := os.Getenv("TETHER_RANDOM_CASES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	t.Logf("seed %d, %d connections per mode", seed, n)
	for k, mode := range []struct{ name, defaults, backend, server string }{
		{name: "keep-alive"},
		{name: "server-close", defaults: "  option http-server-close\n"},
		{name: "httpclose", defaults: "  option httpclose\n"},
		{name: "forwardfor", defaults: "  option forwardfor\n"},
		{name: "cookie insert", backend: "  cookie SRV insert indirect nocache\n", server: " cookie s1"},
		{name: "cookie rewrite", backend: "  cookie SRV rewrite\n", server: " cookie s1"},
		{name: "cookie prefix", backend: "  cookie SRV prefix\n  capture cookie SRV len 20\n", server: " cookie s1"},
		{name: "redispatch", server: " cookie s1",
			backend: "  cookie SRV insert indirect nocache\n  option redispatch\n  retries 1\n  server s2 " + deadAddr() + " cookie s2\n"},
	} {
		t.Run(mode.name, func(t *testing.T) {
			conns := randomConns(seed+uint64(k), n)
			cfg := strings.NewReplacer("  timeout connect", "  option dontlognull\n  timeout connect", "frontend fe\n", mode.defaults+"frontend fe\n",
				"  server s1 {SRV}", mode.backend+"  server s1 {SRV}"+mode.server).Replace(withLog(pairLong))
			ho := startRandomOrigin(t, conns)
			hap := startSide(t, bin, sideHAProxy, cfg, "{SRV}", ho.ln.Addr().String())
			want := runRandom(t, hap.addr, ho, conns)
			to := startRandomOrigin(t, conns)
			eng := startSide(t, bin, sideEngine, cfg, "{SRV}", to.ln.Addr().String())
			got := runRandom(t, eng.addr, to, conns)
			wantLogs, gotLogs := randomLogs(t, hap.logs), randomLogs(t, eng.logs)
			if len(wantLogs) < n/2 || len(gotLogs) < n/2 {
				t.Fatalf("%d log lines from haproxy, %d from tether, for %d connections", len(wantLogs), len(gotLogs), n)
			}
			failed := 0
			for i, rc := range conns {
				for j, e := range rc.exchanges {
					if got[i].server[j] != want[i].server[j] {
						t.Errorf("connection %d (pipelined %v), request %d:\n%q\nthe server got\n%q\nfrom tether, and from haproxy\n%q",
							i, rc.pipelined, j, clip(e.request), clip(got[i].server[j]), clip(want[i].server[j]))
						failed++
					}
					if got[i].client[j] != want[i].client[j] {
						t.Errorf("connection %d (pipelined %v), request %d:\n%q\nanswered\n%q\nthe client got\n%q\nfrom tether, and from haproxy\n%q",
							i, rc.pipelined, j, clip(e.request), clip(e.response), clip(got[i].client[j]), clip(want[i].client[j]))
						failed++
					}
				}
				for j, e := range rc.exchanges {
					g, w := gotLogs[e.id], wantLogs[e.id]
					if e.cut > 0 {
						g, w = cutView(g), cutView(w)
					}
					if g != w {
						t.Errorf("connection %d (pipelined %v), request %d:\n%q\nanswered\n%q\nlogged\n%s\nby tether, and by haproxy\n%s",
							i, rc.pipelined, j, clip(e.request), clip(e.response), g, w)
						failed++
					}
				}
				if got[i].open != want[i].open {
					t.Errorf("connection %d: stayed open %v with tether, %v with haproxy; exchanges %+v", i, got[i].open, want[i].open, rc.exchanges)
					failed++
				}
				if failed > 10 {
					t.Fatalf("too many differences; replay with TETHER_RANDOM_SEED=%d", seed)
				}
			}
		})
	}
}
