package engine

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// drainCase is a request sent in parts, a pause between each, followed by
// a GET that tells whether the connection went on.
type drainCase struct {
	name  string
	parts []string
}

// drainCases are requests whose body the proxy does not forward whole: an
// early response from a server that then closes, the monitor-uri, a
// backend without servers.
var drainCases = []drainCase{
	{"early response, server gone, body later", []string{"POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", "hello"}},
	{"early response, server gone, chunked body later", []string{"POST /early HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", "5\r\nhello\r\n0\r\n\r\n"}},
	{"early response, server gone, body over a buffer", []string{"POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", strings.Repeat("b", 100000)}},
	{"monitor-uri, body with the head", []string{"POST /mon HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"}},
	{"monitor-uri, chunked body with the head", []string{"POST /mon HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"}},
	{"monitor-uri, body later", []string{"POST /mon HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello", "world"}},
	{"monitor-uri, HTTP/1.0", []string{"POST /mon HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello"}},
	{"no server, body with the head", []string{"POST /none HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"}},
	{"no server, body later", []string{"POST /none HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello", "world"}},
}

// TestBodyDrainHAProxyDifferential sends drainCases through haproxy 2.6 and
// the engine and compares the statuses the client gets and whether the
// connection served the GET after. HAProxy reads a body the server no
// longer wants to its end and keeps the connection (unless more than a
// buffer of it comes after the server left), and keeps it after a reply of
// its own when the whole body came with the head.
func TestBodyDrainHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBin(t)
	raw := headOrigin(t, func(head string) string {
		if strings.HasPrefix(head, "POST /early ") {
			return "HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno"
		}
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
	})
	cfg := strings.Replace(pairBase, "  default_backend be\n", "  monitor-uri /mon\n  use_backend none if { path_beg /none }\n  default_backend be\n", 1) + "backend none\n"
	pair := startPair(t, bin, cfg, "{SRV}", raw.Addr)
	for _, tc := range drainCases {
		want, got := pair.views(func(s proxySide) string {
			c := dialFor(t, s.addr, 10*time.Second)
			for _, p := range tc.parts {
				c.send(p)
				time.Sleep(200 * time.Millisecond)
			}
			_, _ = io.WriteString(c.c, "GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
			var b strings.Builder
			for {
				r, err := http.ReadResponse(c.br, &http.Request{Method: "POST"})
				if err != nil {
					fmt.Fprintf(&b, "then %v", err)
					break
				}
				body, _ := io.ReadAll(r.Body)
				fmt.Fprintf(&b, "%d %q; ", r.StatusCode, body)
				if string(body) == "ok" {
					break // the answer to the GET
				}
			}
			return b.String()
		})
		if want != got {
			t.Errorf("%s: haproxy: %s\nthe engine: %s", tc.name, want, got)
		}
	}
}

// TestHalfCloseHAProxyDifferential sends whole requests, then shuts the
// client's write side, through haproxy 2.6 and the engine, and compares
// the responses (field names in lower case). HAProxy forwards the request
// and its body, answers as it would have, without saying it closes, and
// closes after the response.
func TestHalfCloseHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBin(t)
	o := startOrigins(t, 1)[0]
	pair := startPair(t, bin, pairBase, "{SRV}", o.Addr)
	for _, req := range []string{
		"GET /?size=3 HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /?echo=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
		"POST /?echo=1 HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello",
		"GET /?size=3 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	} {
		want, got := pair.views(func(s proxySide) string {
			c := s.send(t, req)
			if err := c.c.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			r, err := http.ReadResponse(c.br, &http.Request{Method: "GET"})
			if err != nil {
				return "no response: " + err.Error()
			}
			body, _ := io.ReadAll(r.Body)
			_, err = c.br.ReadByte()
			return fmt.Sprintf("%s %q connection %q, then %v", r.Status, body, r.Header.Get("Connection"), err)
		})
		if want != got {
			t.Errorf("%q: haproxy: %s\nthe engine: %s", req, want, got)
		}
	}
}
