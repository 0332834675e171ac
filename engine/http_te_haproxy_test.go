package engine

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"tether/engine/internal/testorigin"
)

// teValues are Transfer-Encoding field values (a CRLF starts another
// field) sent in requests and responses.
var teValues = []string{
	"chunked", "Chunked", " chunked ", "chunked,", ",chunked", "chunked , ,",
	"gzip, chunked", "x-gzip, chunked", "gzip;q=1, chunked", "foo, chunked", "identity, chunked",
	"gzip", "identity", "foo", "xchunked", "chunked;a=b", "foo, chunked;a=1",
	"chunked, chunked", "chunked, gzip", "chunked, identity",
	"gzip\r\nTransfer-Encoding: chunked", "chunked\r\nTransfer-Encoding: gzip",
}

// TestTransferCodingsHAProxyDifferential sends requests and gets responses
// with each Transfer-Encoding value through haproxy 2.6 and the engine, and
// compares the status line the client gets: HAProxy carries no coding but
// chunked (422 or 400 for a request, 502 for a response).
func TestTransferCodingsHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBin(t)
	raw := startRaw(t, func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		defer c.Close()
		req, _, err := r.ReadRequest(br)
		if err != nil {
			return
		}
		var i int
		if _, err := fmt.Sscanf(req.URL.Path, "/te/%d", &i); err != nil {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "+teValues[i]+"\r\n\r\n2\r\nok\r\n0\r\n\r\n")
	})
	pair := startPair(t, bin, pairBase, "{SRV}", raw.Addr)
	status := func(s proxySide, req string) string {
		line, err := s.send(t, req).br.ReadString('\n')
		if err != nil {
			return "no response: " + err.Error()
		}
		return strings.TrimSpace(line)
	}
	for i, te := range teValues {
		for _, req := range []string{
			"POST /in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te + "\r\n\r\n0\r\n\r\n",
			fmt.Sprintf("GET /te/%d HTTP/1.1\r\nHost: x\r\n\r\n", i),
		} {
			if want, got := pair.views(func(s proxySide) string { return status(s, req) }); got != want {
				t.Errorf("%q: haproxy answers %q, the engine %q", req, want, got)
			}
		}
	}
}
