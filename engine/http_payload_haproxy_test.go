package engine

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestPayloadHAProxyDifferential sends requests of each method, version and
// body framing through haproxy 2.6 and the engine: an HTTP/1.0 GET, HEAD or
// DELETE with a body gets HAProxy's 413, byte for byte, and the connection
// closes; other requests reach the server. The access log lines match too.
// Other HTTP/1.0 requests sent chunked, which HAProxy forwards and the
// engine refuses (see payloadRefused), are left out.
func TestPayloadHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBin(t)
	o := startOrigin(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4096)
		n, _ := c.Read(buf) // every request and body here fits one read
		if n > 0 {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
		}
	})
	addrs, logs := loggedPair(t, bin, o.ln.Addr().String())
	exchange := func(i int, req string) (reply, log string) {
		c := dialFor(t, addrs[i], 3*time.Second)
		defer c.c.Close()
		c.send(req)
		if p, _ := c.br.Peek(12); string(p) == "HTTP/1.1 413" {
			b, err := io.ReadAll(c.br)
			reply = string(b)
			if err != nil {
				reply += " (not closed: " + err.Error() + ")"
			}
		} else {
			r, _ := c.response(strings.Fields(req)[0])
			reply = r.Status // the status of a proxied answer
		}
		line, err := nextLog(logs[i], 3*time.Second)
		if err != nil {
			return reply, "no log line: " + err.Error()
		}
		// From the frontend name on, without the timers.
		f := strings.Fields(line[strings.Index(line, "] ")+2:])
		f[2] = "timers"
		f[4] = "bytes" // of the answers, whose heads each proxy rewrites
		f[8] = "conns" // the previous case's connection may not be closed yet
		return reply, strings.Join(f, " ")
	}
	for _, method := range []string{"GET", "HEAD", "DELETE", "POST", "OPTIONS", "PUT"} {
		for _, version := range []string{"1.0", "1.1"} {
			for _, framing := range []string{"", "Content-Length: 0\r\n\r\n", "Content-Length: 3\r\n\r\nabc", "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"} {
				req := method + " /p HTTP/" + version + "\r\nHost: x\r\n" + framing
				if framing == "" {
					req += "\r\n"
				}
				if version == "1.0" && strings.HasPrefix(framing, "Transfer") && (method == "POST" || method == "OPTIONS" || method == "PUT") {
					continue
				}
				wantReply, wantLog := exchange(0, req)
				gotReply, gotLog := exchange(1, req)
				if gotReply != wantReply {
					t.Errorf("%q: haproxy answers\n%q\nthe engine\n%q", req, wantReply, gotReply)
				}
				if gotLog != wantLog {
					t.Errorf("%q: haproxy logs\n%s\nthe engine\n%s", req, wantLog, gotLog)
				}
			}
		}
	}
}
