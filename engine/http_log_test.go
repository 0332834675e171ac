package engine

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
	"tether/h1"
)

func TestHTTPAccessLog(t *testing.T) {
	t.Parallel()
	origins := startOrigins(t, 1)
	pc := logSocket(t)
	cfg := fmt.Sprintf(`defaults
  mode http
  log %s local0
  option httplog
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:%d
  capture cookie S len 5
  acl dead path_beg /dead
  use_backend deadbe if dead
  default_backend be
backend be
  cookie SRV insert indirect
  server s1 %s cookie a
backend deadbe
  cookie SRV insert indirect
  retries 0
  server d1 %s cookie d
`, pc.LocalAddr(), freePort(), origins[0].Addr, deadAddr())
	_, addr := startEngine(t, cfg)
	c := dial(t, addr)
	c.send("GET /logged?size=7&setcookie=x%3D1 HTTP/1.1\r\nHost: x\r\nCookie: a=1; SID = zz9\r\n\r\n")
	c.response("GET")
	c.send("GET /logged?size=7&setcookie=SESS%3Dabcdef HTTP/1.1\r\nHost: x\r\n\r\n")
	c.response("GET")
	c.send("GET /dead HTTP/1.1\r\nHost: x\r\nCookie: SRV=d\r\n\r\n")
	c.response("GET")
	c.send("GET / HTTP/1.1\r\nHost x\r\n\r\n")
	c.rest()
	// capture cookie: the first request cookie starting with "S" (blanks
	// around '=' left out, cut at 5 bytes); the server's Set-Cookie only,
	// not the inserted one.
	captured := []string{` fe be/s1 0/0/`, ` 200 `, ` SID=z - --NI `, `"GET /logged?size=7&setcookie=x%3D1 HTTP/1.1"`}
	want := []string{
		` fe be/s1 0/0/`, ` 200 `, ` - SESS= --NI `, `"GET /logged?size=7&setcookie=SESS%3Dabcdef HTTP/1.1"`,
	}
	dead := []string{` fe deadbe/d1 `, ` 503 `, ` SCVN `, `"GET /dead HTTP/1.1"`}
	bad := []string{` fe fe/<NOSRV> -1/-1/-1/-1/`, ` 400 0 - - PR-- `, `"<BADREQ>"`}
	for _, w := range [][]string{captured, want, dead, bad} {
		line, err := nextLog(pc, 3*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range w {
			if !strings.Contains(line, s) {
				t.Fatalf("log line %q lacks %q", line, s)
			}
		}
	}
}

// TestHTTPAccessLogAborted: an exchange cut short is logged once, as
// HAProxy logs it: the server closing in the middle of the body (SD, with
// the status sent), the client leaving in the middle of the response body
// (CD) or of its request body (CD, status -1).
func TestHTTPAccessLogAborted(t *testing.T) {
	t.Parallel()
	raw := startRaw(t, func(_ *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		defer c.Close()
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		switch req.URL.Path {
		case "/half":
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
		case "/big":
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n")
			_ = sendPattern(c, 100000000)
		default:
			_, _ = io.Copy(io.Discard, req.Body)
		}
	})
	cfg, pc := withHTTPLog(t, rawConfig(raw.Addr, ""))
	_, addr := startEngine(t, cfg)
	for _, tt := range []struct {
		send  string
		leave bool   // the client closes once the response head or 100 ms passed
		want  string // in the log line
	}{
		// %B as HAProxy counts the head: its parts and 20 (33), the
		// field's name and value (16), 1; then the 3 body bytes.
		{"GET /half HTTP/1.1\r\nHost: x\r\n\r\n", false, ` 200 53 - - SD-- `},
		{"GET /big HTTP/1.1\r\nHost: x\r\n\r\n", true, ` - - CD-- `},
		{"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc", true, ` -1 0 - - CD-- `},
	} {
		c := dial(t, addr)
		c.send(tt.send)
		if tt.leave {
			if strings.HasPrefix(tt.send, "GET") {
				if _, err := c.br.ReadString('\n'); err != nil {
					t.Fatal(err)
				}
			} else {
				time.Sleep(100 * time.Millisecond)
			}
			_ = c.c.Close()
		} else {
			c.rest()
		}
		line, err := nextLog(pc, 5*time.Second)
		if err != nil {
			t.Fatalf("%q: no log line: %v", tt.send, err)
		}
		if !strings.Contains(line, tt.want) {
			t.Errorf("%q: log line %q lacks %q", tt.send, line, tt.want)
		}
	}
	if line, err := nextLog(pc, 200*time.Millisecond); err == nil {
		t.Errorf("one more log line: %q", line)
	}
}

// TestHTTPConnectLog: a frontend that logs without `option httplog` logs
// HAProxy's "Connect from" line for each valid request head, and nothing
// for a connection that sends none or a bad one.
func TestHTTPConnectLog(t *testing.T) {
	t.Parallel()
	origins := startOrigins(t, 1)
	pc := logSocket(t)
	cfg := fmt.Sprintf(`defaults
  mode http
  log %s local0
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend web
  bind 127.0.0.1:%d
  default_backend be
backend be
  server s1 %s
`, pc.LocalAddr(), freePort(), origins[0].Addr)
	_, addr := startEngine(t, cfg)
	_ = dial(t, addr).c.Close()
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	c.response("GET")
	c.send("GET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
	c.response("GET")
	bad := dial(t, addr)
	bad.send("GET / HTTP/1.1\r\nHost x\r\n\r\n")
	bad.rest()
	want := "Connect from " + c.c.LocalAddr().String() + " to " + addr + " (web/HTTP)"
	for i := range 2 {
		line, err := nextLog(pc, 3*time.Second)
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if !strings.HasSuffix(strings.TrimSpace(line), "]: "+want) {
			t.Fatalf("line %d %q, want it to end with %q", i, line, want)
		}
	}
	if line, err := nextLog(pc, 300*time.Millisecond); err == nil {
		t.Fatalf("one more line: %q", line)
	}
}

// TestHTTPLogCLF: `option httplog clf` logs the common log format.
func TestHTTPLogCLF(t *testing.T) {
	t.Parallel()
	os := startOrigins(t, 1)
	cfg, pc := withHTTPLog(t, basicConfig(os, ""))
	cfg = strings.Replace(cfg, "option httplog\n", "option httplog clf\n", 1)
	_, addr := startEngine(t, cfg)
	c := dial(t, addr)
	c.send("GET /clf?a=1 HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, _ := c.response("GET"); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	line, err := nextLog(pc, 5*time.Second)
	if err != nil {
		t.Fatalf("no log line: %v", err)
	}
	port := strconv.Itoa(c.c.LocalAddr().(*net.TCPAddr).Port)
	re := regexp.MustCompile(`\]: 127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET /clf\?a=1 HTTP/1\.1" 200 \d+ "" "" ` +
		port + ` \d{3} "fe" "be" "s1" \d+ 0 \d+ \d+ \d+ ---- 1 1 \d+ \d+ 0 0 0 "" "" \n?$`)
	if !re.MatchString(line) {
		t.Errorf("log line %q does not match %s", line, re)
	}
}

// TestHTTPLogHeaderCaptures: `capture request header` keeps the last field
// of each name, cut at its length, and `capture response header` the
// response's; a request that could not be parsed logs no capture.
func TestHTTPLogHeaderCaptures(t *testing.T) {
	t.Parallel()
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nX-Id: 7\r\nx-id: 8\r\nContent-Length: 2\r\n\r\nok")
	cfg, pc := withHTTPLog(t, rawConfig(rawOrigin(t, resp, 1), ""))
	cfg = strings.Replace(cfg, "  default_backend be\n", "  default_backend be\n"+
		"  capture request header Host len 5\n  capture request header X-Test len 40\n  capture request header X-None len 4\n"+
		"  capture response header Content-Type len 9\n  capture response header X-ID len 3\n", 1)
	_, addr := startEngine(t, cfg)
	for _, tt := range []struct{ send, want string }{
		{"GET /a HTTP/1.1\r\nHost: example.com\r\nX-Test: first\r\nx-test:  a{b|c}d\r\nConnection: close\r\n\r\n",
			` 0/0 {examp|a#7Bb#7Cc#7Dd|} {text/html|8} "GET /a HTTP/1.1"`},
		{"GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", ` 0/0 {x||} {text/html|8} "GET /b HTTP/1.1"`},
		{"BAD\r\n\r\n", ` 0/0 "<BADREQ>"`},
	} {
		c := dial(t, addr)
		c.send(tt.send)
		c.rest()
		line, err := nextLog(pc, 5*time.Second)
		if err != nil {
			t.Fatalf("%q: no log line: %v", tt.send, err)
		}
		if line = strings.TrimSuffix(line, "\n"); !strings.HasSuffix(line, tt.want) {
			t.Errorf("%q: log line %q does not end with %q", tt.send, line, tt.want)
		}
	}
}

// TestHeadLogSize: %B counts a response head as HAProxy 2.6 logged it for
// these heads (TestHTTPLogHAProxyBytes compares with haproxy itself).
func TestHeadLogSize(t *testing.T) {
	t.Parallel()
	sc := h1.NewScanner(h1.DefaultLimits())
	for _, tt := range []struct {
		head string
		want int64
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", 49},
		{"HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\n", 47},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 58},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 58},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\n", 49},
		{"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\n", 49},
		{"HTTP/1.1 200 OK\r\nConnection: x-foo, Keep-Alive,  y-bar ,close\r\nContent-Length: 2\r\n\r\n", 70},
		{"HTTP/1.1 200 OK\r\nX-A:   spaced   \r\nContent-Length: 2\r\n\r\n", 58},
		{"HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nProxy-Connection: close\r\nUpgrade: foo\r\nContent-Length: 2\r\n\r\n", 99},
		{"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 60},
	} {
		var r h1.Response
		if _, err := sc.Response([]byte(tt.head), &r, h1.MethodGET); err != nil {
			t.Fatalf("%q: %v", tt.head, err)
		}
		if got := headLogSize(&r, []byte(tt.head)); got != tt.want {
			t.Errorf("%q: %d, want %d", tt.head, got, tt.want)
		}
	}
}
