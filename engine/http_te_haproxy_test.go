package engine

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

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
	bin := haproxyBin(t)
	raw, err := testorigin.StartRaw(func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
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
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	config := func() string {
		return fmt.Sprintf("defaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n"+
			"frontend fe\n  bind 127.0.0.1:%d\n  default_backend be\nbackend be\n  server s1 %s\n", freePort(), raw.Addr)
	}
	addrs := [2]string{startHAProxy(t, bin, config())}
	_, addrs[1] = startEngine(t, config())
	status := func(addr, req string) string {
		c := dial(t, addr)
		_ = c.c.SetDeadline(time.Now().Add(5 * time.Second))
		c.send(req)
		line, err := c.br.ReadString('\n')
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
			if want, got := status(addrs[0], req), status(addrs[1], req); got != want {
				t.Errorf("%q: haproxy answers %q, the engine %q", req, want, got)
			}
		}
	}
}
