package runtime

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// statValues returns the named columns of `show stat` at sock, keyed by
// "proxy/svname column".
func statValues(t *testing.T, sock string, columns ...string) map[string]int64 {
	t.Helper()
	header, rows := statRows(t, cli(t, sock, "show stat"))
	out := map[string]int64{}
	for _, r := range rows {
		for i, h := range header {
			for _, c := range columns {
				if h == c && r[i] != "" {
					n, err := strconv.ParseInt(r[i], 10, 64)
					if err != nil {
						t.Fatalf("%s/%s %s: %v", r[0], r[1], c, err)
					}
					out[r[0]+"/"+r[1]+" "+c] = n
				}
			}
		}
	}
	return out
}

// sendRaw writes req on a new connection to addr, reads one response to it
// and closes the connection.
func sendRaw(t *testing.T, addr, req string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	method, _, _ := strings.Cut(req, " ")
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%.40q: %v", req, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// waitRequests waits until frontend fe, backend bk and its server s1 at
// sock have counted n requests (a proxy counts an exchange as it ends,
// which may be after the client has read its response) and returns the
// columns.
func waitRequests(t *testing.T, sock string, n int64, columns ...string) map[string]int64 {
	t.Helper()
	columns = append(columns, "req_tot")
	deadline := time.Now().Add(ioTimeout)
	for {
		v := statValues(t, sock, columns...)
		if v["fe/FRONTEND req_tot"] >= n && v["bk/BACKEND req_tot"] >= n && v["bk/s1 req_tot"] >= n {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d, %d, %d requests counted, want %d", sock,
				v["fe/FRONTEND req_tot"], v["bk/BACKEND req_tot"], v["bk/s1 req_tot"], n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDifferentialBin sends requests of several shapes through haproxy 2.6
// and tether, one at a time, and compares what each adds to the bin column
// of the frontend, the backend and the server: HAProxy counts a request in
// its internal form (20 bytes, the parts of the request line, each field's
// name and value as its parser keeps them, 1 for the end of the head, the
// body without its chunk framing, trailer fields plus 1).
func TestDifferentialBin(t *testing.T) {
	t.Parallel()
	o := startOrigin(t, "o1")
	h, g := startSides(t, func(stats, front int) string {
		return frontConfig(stats, front, "bk") + "backend bk\n    server s1 " + o.addr.String() + "\n"
	})

	var many strings.Builder
	many.WriteString("GET /many?a=b HTTP/1.1\r\nHost: example.com\r\n")
	for i := range 60 {
		fmt.Fprintf(&many, "X-Field-%02d: \t value %d  \r\n", i, i*i)
	}
	many.WriteString("Connection: keep-alive, x-opt\r\nx-opt: 1\r\n\r\n")
	requests := []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /a/longer/path?with=query&and=more HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test/1.0\r\nAccept: */*\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"GET /close HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world",
		"POST /list HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc",
		"POST /empty HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\na\r\n0123456789\r\n0\r\n\r\n",
		"POST /trailers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer:  t1 \r\nX-Other: 2\r\n\r\n",
		"POST /upgrade HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: foo\r\nContent-Length: 2\r\n\r\nab",
		"GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n",
		"POST /upgrade HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: foo\r\nContent-Length: 0\r\n\r\n",
		"\r\nGET /after-an-empty-line HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET http://x:80/absolute HTTP/1.1\r\nHost: x:80\r\n\r\n",
		"GET http://x/absolute HTTP/1.1\r\nHost: x\r\n\r\n",
		many.String(),
	}
	cols := []string{"bin"}
	var before [2]map[string]int64
	for i, d := range []*diffSide{h, g} {
		before[i] = waitRequests(t, d.sock, 0, cols...)
	}
	for n, req := range requests {
		var delta [2]map[string]int64
		for i, d := range []*diffSide{h, g} {
			sendRaw(t, d.front, req)
			after := waitRequests(t, d.sock, int64(n+1), cols...)
			delta[i] = map[string]int64{}
			for _, k := range []string{"fe/FRONTEND bin", "bk/BACKEND bin", "bk/s1 bin"} {
				delta[i][k] = after[k] - before[i][k]
			}
			before[i] = after
		}
		if fmt.Sprint(delta[0]) != fmt.Sprint(delta[1]) {
			t.Errorf("%.60q: bin added\ntether  %v\nhaproxy %v", req, delta[1], delta[0])
		}
	}
}
