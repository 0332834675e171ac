package engine

import (
	"strings"
	"testing"
	"time"
)

// chunkResponses are chunked responses the server writes at once, by path.
var chunkResponses = map[string]string{
	"/runs":    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n3;x=1\r\nabc\r\n00a\r\n0123456789\r\n0\r\n\r\n",
	"/big":     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1F4\r\n" + strings.Repeat("b", 500) + "\r\n0\r\n\r\n",
	"/trailer": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nx-t: " + strings.Repeat("t", 5000) + "\r\n\r\n",
	"/badsize": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n",
	"/huge":    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\nok",
}

// TestChunksHAProxyDifferential compares the bytes the client gets (field
// names in lower case) for chunked responses and requests through haproxy
// 2.6 and the engine. HAProxy writes the data of one read as one chunk
// with its size in upper-case hexadecimal, takes a trailer section as
// large as a head, and checks the chunks that came with a head before it
// forwards it: a broken one there gets its 502 (its 400 for a request)
// instead of a cut message. A chunk size must be below 2^52.
func TestChunksHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBin(t)
	raw := headOrigin(t, func(head string) string {
		if resp, ok := chunkResponses[strings.Fields(head)[1]]; ok {
			return resp
		}
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
	})
	pair := startPair(t, bin, pairBase, "{SRV}", raw.Addr)
	requests := []string{
		"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n",
		"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000\r\nab",
		"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nx-t: " + strings.Repeat("t", 5000) + "\r\n\r\n",
	}
	for path := range chunkResponses {
		requests = append(requests, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	for _, req := range requests {
		want, got := pair.views(func(s proxySide) string {
			head, body, _ := strings.Cut(s.send(t, req).untilQuiet(300*time.Millisecond), "\r\n\r\n")
			return lowerNames(head) + "\r\n\r\n" + body
		})
		if got != want {
			t.Errorf("%.60q:\n haproxy %.300q\n engine  %.300q", req, want, got)
		}
	}
}
