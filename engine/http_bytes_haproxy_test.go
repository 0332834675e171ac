package engine

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// bytesResponses are the server's answers, by path, for the %B test.
var bytesResponses = map[string]string{
	"/cl":        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A:   b  \r\n\r\nok",
	"/noreason":  "HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok",
	"/close":     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
	"/10":        "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"/chunked":   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n3;x=1\r\nabc\r\n0\r\n\r\n",
	"/trailers":  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T:  1 \r\nContent-Length: 3, 3\r\n\r\n",
	"/eof":       "HTTP/1.1 200 OK\r\n\r\nuntil close",
	"/204":       "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
	"/204te":     "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n",
	"/interim":   "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"/nothing":   "",
	"/continue":  "HTTP/1.1 100 Continue\r\n\r\n",
	"/connect":   "HTTP/1.1 200 OK\r\n\r\n",
	"/switching": "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n",
}

// TestBytesLoggedHAProxyDifferential compares the bytes logged (%B) for
// responses through haproxy 2.6 and the engine. HAProxy counts a response
// in its internal form, not as sent: the parts of each start line (interim
// ones included) plus 20, names and values of the fields, one byte for the
// end of each head, the body without its chunk framing, and for a chunked
// body its trailer fields plus one byte; its own replies count the same
// way, without the body to HEAD, after what was relayed or refused before.
func TestBytesLoggedHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBin(t)
	raw := headOrigin(t, func(head string) string {
		target := strings.Fields(head)[1]
		path, _, _ := strings.Cut(target, "?")
		if i := strings.Index(path, ":"); i >= 0 {
			path = "/connect"
		}
		resp := bytesResponses[path]
		if path == "/switching" || path == "/connect" {
			resp += "xyz" // in the same write: HAProxy counts it with a 101 it refuses
		}
		return resp
	})
	cfg := strings.Replace(pairLogged, "  default_backend be\n", "  use_backend none if { path_beg /none }\n  default_backend be\n", 1) + "backend none\n"
	pair := startPair(t, bin, cfg, "{SRV}", raw.Addr)
	pair.drainLogs(300 * time.Millisecond) // what the probes of the listeners left
	statusBytes := regexp.MustCompile(` (-?\d+) (\d+) - - (\S{4}) `)
	for _, req := range []string{
		"GET /cl HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /noreason HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /close HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /10 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /cl HTTP/1.0\r\n\r\n",
		"GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /trailers HTTP/1.1\r\nHost: x\r\nTE: trailers\r\n\r\n",
		"GET /eof HTTP/1.1\r\nHost: x\r\n\r\n",
		"HEAD /cl HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /204 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /204te HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /interim HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n",
		"HEAD /nothing HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /continue HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /switching HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /none HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /none HTTP/1.0\r\n\r\n",
		"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
		"GET /switching HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n",
	} {
		want, got := pair.views(func(s proxySide) string {
			c := s.send(t, req)
			c.untilQuiet(300 * time.Millisecond) // the whole response, until the proxy closes or goes quiet
			_ = c.c.Close()
			line, err := nextLog(s.logs, 3*time.Second)
			if err != nil {
				t.Fatalf("%q: no log line from %s: %v", req, s.name, err)
			}
			m := statusBytes.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("%q: log line %q does not parse", req, line)
			}
			return m[1] + " " + m[2] + " " + m[3]
		})
		if want != got {
			t.Errorf("%q: haproxy logs status, bytes and flags %s, the engine %s", req, want, got)
		}
	}
}
