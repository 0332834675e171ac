package engine

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
)

func TestHTTPChunkedBothWays(t *testing.T) {
	t.Parallel()
	os := startOrigins(t, 1)
	_, addr := startEngine(t, basicConfig(os, ""))
	c := dial(t, addr)
	c.send("POST /?echo=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: y\r\n\r\n")
	r, body := c.response("POST")
	if body != "hello world" {
		t.Fatalf("echoed %q", body)
	}
	c.send("GET /?chunked=100000 HTTP/1.1\r\nHost: x\r\n\r\n")
	r, body = c.response("GET")
	if len(r.TransferEncoding) != 1 || r.TransferEncoding[0] != "chunked" {
		t.Fatalf("transfer-encoding %v", r.TransferEncoding)
	}
	if len(body) != 100000 || body[99999] != testorigin.Pattern(99999) {
		t.Fatalf("chunked body of %d bytes", len(body))
	}
}

func TestHTTPNoBodyResponses(t *testing.T) {
	t.Parallel()
	os := startOrigins(t, 1)
	_, addr := startEngine(t, basicConfig(os, ""))
	c := dial(t, addr)
	c.send("HEAD /?size=100 HTTP/1.1\r\nHost: x\r\n\r\n")
	r, body := c.response("HEAD")
	if r.ContentLength != 100 || body != "" {
		t.Fatalf("HEAD: length %d body %q", r.ContentLength, body)
	}
	for _, st := range []int{204, 304} {
		c.send("GET /?status=" + strconv.Itoa(st) + " HTTP/1.1\r\nHost: x\r\n\r\n")
		if r, _ = c.response("GET"); r.StatusCode != st {
			t.Fatalf("status %d, want %d", r.StatusCode, st)
		}
	}
	c.send("GET /?size=2 HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, body = c.response("GET"); body != "ab" {
		t.Fatalf("after no-body responses: %q", body)
	}
}

func TestHTTP100Continue(t *testing.T) {
	t.Parallel()
	os := startOrigins(t, 1)
	_, addr := startEngine(t, basicConfig(os, ""))
	c := dial(t, addr)
	c.send("POST /?echo=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
	line, err := c.br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("interim line %q, %v", line, err)
	}
	if l, _ := c.br.ReadString('\n'); l != "\r\n" {
		t.Fatalf("interim head continues with %q", l)
	}
	c.send("data")
	if _, body := c.response("POST"); body != "data" {
		t.Fatalf("body %q", body)
	}
	// Never to an HTTP/1.0 client.
	c = dial(t, addr)
	c.send("POST /?echo=1 HTTP/1.0\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\ndata")
	r, body := c.response("POST")
	if r.StatusCode != 200 || body != "data" {
		t.Fatalf("HTTP/1.0: %d %q", r.StatusCode, body)
	}
}

func TestHTTPForwardedHead(t *testing.T) {
	t.Parallel()
	var got string
	raw := startRaw(t, func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		head, err := testorigin.ReadHead(br)
		if err != nil {
			return
		}
		got = head
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nKeep-Alive: timeout=5\r\nConnection: keep-alive, x-hop\r\nX-Hop: 1\r\n\r\n")
	})
	_, addr := startEngine(t, rawConfig(raw.Addr, "  option forwardfor\n"))
	c := dial(t, addr)
	c.send("GET /p?q HTTP/1.1\r\nhost: x\r\nX-Mixed-Case: A  b\r\nConnection: keep-alive, X-Drop\r\nX-Drop: 1\r\nTE: trailers\r\nUpgrade: h2c\r\n\r\n")
	r, _ := c.response("GET")
	// TE is hop-by-hop, but "trailers" is passed on, as HAProxy does: tether
	// forwards trailer sections.
	want := "GET /p?q HTTP/1.1\r\nhost: x\r\nX-Mixed-Case: A  b\r\nTE: trailers\r\nx-forwarded-for: 127.0.0.1\r\n\r\n"
	if got != want {
		t.Fatalf("server got\n%q\nwant\n%q", got, want)
	}
	if r.Header.Get("X-Hop") != "" || r.Header.Get("Keep-Alive") != "" {
		t.Fatalf("hop-by-hop response fields forwarded: %v", r.Header)
	}
}

func TestHTTPErrors(t *testing.T) {
	t.Parallel()
	os := startOrigins(t, 1)
	cfg := basicConfig(os, "  timeout server 300ms\n") + "frontend nobe\n  bind 127.0.0.1:" + strconv.Itoa(freePort()) + "\n  timeout http-request 300ms\n"
	e, addr := startEngine(t, cfg)
	cases := []struct {
		req, want string
		close     bool
	}{
		{"GET / HTTP/1.1\r\nHost x\r\n\r\n", "HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n" + errBody400, true},
		{"GET /?delay=1s HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 504 Gateway Time-out\r\ncontent-length: 92\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n" + errBody504, false},
		{"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: foo, chunked\r\n\r\n", "HTTP/1.1 422 Unprocessable Content\r\nContent-length: 116\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n" + errBody422, true},
		{"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "HTTP/1.1 422 Unprocessable Content\r\n", true},
		{"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n", "HTTP/1.1 400 Bad request\r\n", true},
		{"GET /" + strings.Repeat("a", 17000) + " HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 ", true},        // HAProxy has no 414
		{"GET / HTTP/1.1\r\nHost: x\r\nA: " + strings.Repeat("a", 17000) + "\r\n\r\n", "HTTP/1.1 400 ", true}, // nor 431
	}
	for _, tc := range cases {
		c := dial(t, addr)
		c.send(tc.req)
		if tc.close {
			if got := c.rest(); !strings.HasPrefix(got, tc.want) {
				t.Fatalf("%.40q: got %q\nwant %q", tc.req, got, tc.want)
			}
			continue
		}
		got := make([]byte, len(tc.want))
		if _, err := io.ReadFull(c.br, got); err != nil || string(got) != tc.want {
			t.Fatalf("%.40q: got %q (%v)\nwant %q", tc.req, got, err, tc.want)
		}
		if c.closed() {
			t.Fatalf("%.40q: closed after a keep-alive reply", tc.req)
		}
	}
	// 408 on timeout http-request, and 503 without a backend.
	addr2 := e.Listeners()[1].Addr().String()
	c := dial(t, addr2)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n")
	if got := c.rest(); got != string(reply408.head)+"\r\n"+errBody408 {
		t.Fatalf("408: %q", got)
	}
	c = dial(t, addr2)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	r, _ := c.response("GET")
	if r.StatusCode != 503 {
		t.Fatalf("no backend: %d", r.StatusCode)
	}
	c.send("GET / HTTP/1.0\r\n\r\n")
	want := "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n" + errBody503
	if got := c.rest(); got != want {
		t.Fatalf("503 to HTTP/1.0: %q", got)
	}
}

func TestHTTPSmuggling(t *testing.T) {
	t.Parallel()
	os := startOrigins(t, 1)
	_, addr := startEngine(t, basicConfig(os, ""))
	attempts := []string{
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 37\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST / HTTP/1.1\nHost: x\r\nContent-Length: 37\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
	}
	for _, a := range attempts {
		before := os[0].Requests()
		c := dial(t, addr)
		c.send(a)
		_ = c.c.SetReadDeadline(time.Now().Add(3 * time.Second))
		out := c.rest()
		if n := os[0].Requests() - before; n > 1 {
			t.Fatalf("%q reached the server as %d requests; client got %q", a, n, out)
		}
		if strings.Count(out, "HTTP/1.1 ") > 1 {
			t.Fatalf("%q: two responses: %q", a, out)
		}
	}
}

func TestHTTPBackendDiesMidResponse(t *testing.T) {
	t.Parallel()
	raw := startRaw(t, func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		if _, _, err := r.ReadRequest(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
	})
	_, addr := startEngine(t, rawConfig(raw.Addr, ""))
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	b, err := io.ReadAll(resp.Body)
	if string(b) != "partial" || err == nil {
		t.Fatalf("body %q, err %v: the client must see a truncated body", b, err)
	}
}

func TestOffersTrailers(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{
		"trailers": true, "gzip, trailers": true, "trailers, gzip": true, "trailers;q=1": false,
		"Trailers": false, "gzip": false, "": false, "xtrailers": true, "trailersx": false,
	} {
		if got := offersTrailers([]byte(v)); got != want {
			t.Errorf("offersTrailers(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestHTTPEmptyCookieField: with a backend cookie, an empty Cookie field
// reaches the server as it came, as HAProxy forwards it, while the field
// holding the persistence cookie is edited away.
func TestHTTPEmptyCookieField(t *testing.T) {
	t.Parallel()
	heads := make(chan string, 1)
	raw := startRaw(t, func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		head, err := testorigin.ReadHead(br)
		if err != nil {
			return
		}
		heads <- head
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	})
	_, addr := startEngine(t, rawConfig(raw.Addr, "  cookie SRV insert indirect\n"))
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\nCookie:\r\nCookie: SRV=nobody\r\n\r\n")
	c.response("GET")
	if got, want := <-heads, "GET / HTTP/1.1\r\nHost: x\r\nCookie:\r\n\r\n"; got != want {
		t.Fatalf("server got\n%q\nwant\n%q", got, want)
	}
}

// TestHTTPEarlyResponse: a server that answers before it reads the request
// body leaves the client connection open, as HAProxy does: the rest of the
// body goes to the server, then the next request is served. When the
// server closes instead, the rest of the body has nowhere to go and must
// not be read as a request: tether closes the connection (HAProxy reads
// and drops the rest of the body, then serves the next request).
func TestHTTPEarlyResponse(t *testing.T) {
	t.Parallel()
	raw := startRaw(t, func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		defer c.Close()
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			if req.URL.Path == "/close" {
				_, _ = io.WriteString(c, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno")
				return
			}
			if req.Method == "POST" {
				_, _ = io.WriteString(c, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\nno")
				_, _ = io.Copy(io.Discard, req.Body)
				continue
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	_, addr := startEngine(t, rawConfig(raw.Addr, ""))
	c := dial(t, addr)
	c.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n")
	if r, body := c.response("POST"); r.StatusCode != 401 || body != "no" || r.Close {
		t.Fatalf("early answer %d %q (close %v)", r.StatusCode, body, r.Close)
	}
	c.send("hello")
	c.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
	if r, body := c.response("GET"); r.StatusCode != 200 || body != "ok" {
		t.Fatalf("next request: %d %q", r.StatusCode, body)
	}
	// A server that answers early and closes: as HAProxy, the rest of the
	// body is read and dropped, and the connection goes on.
	c = dial(t, addr)
	c.send("POST /close HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n")
	if r, _ := c.response("POST"); r.StatusCode != 401 || r.Close {
		t.Fatalf("early answer from a closing server: %d (close %v)", r.StatusCode, r.Close)
	}
	time.Sleep(50 * time.Millisecond) // the server's close comes first
	c.send("hello")
	c.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
	if r, body := c.response("GET"); r.StatusCode != 200 || body != "ok" {
		t.Fatalf("next request after the dropped body: %d %q", r.StatusCode, body)
	}
	// When more than a buffer of the body comes after the server left,
	// HAProxy sees the server's abort and closes.
	c = dial(t, addr)
	c.send("POST /close HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
	if r, _ := c.response("POST"); r.StatusCode != 401 {
		t.Fatalf("early answer from a closing server: %d", r.StatusCode)
	}
	time.Sleep(50 * time.Millisecond)
	werr := c.sendAsync(strings.Repeat("b", 100000))
	_ = c.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.br.ReadByte(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the connection stayed open with more than a buffer of body dropped: %v", err)
	}
	<-werr
}
