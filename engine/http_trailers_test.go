package engine

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
)

// message is an HTTP/1.1 message as a peer reads it off the wire: the head,
// the body's data and, for a chunked body, the trailer section's bytes
// (final CRLF included).
type message struct {
	head, data, trailer string
	chunked             bool
}

// errChunked: a chunked body the test peer could not read.
var errChunked = errors.New("test: broken chunked body")

// readMessage reads one message from br; a response without a framing
// field runs to the end of the connection.
func readMessage(br *bufio.Reader, response bool) (message, error) {
	var m message
	var head strings.Builder
	length := -1
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return m, err
		}
		head.WriteString(l)
		if l == "\r\n" {
			break
		}
		name, value, _ := strings.Cut(l, ":")
		value = strings.ToLower(strings.TrimSpace(value))
		switch strings.ToLower(name) {
		case "transfer-encoding":
			m.chunked = strings.HasSuffix(value, "chunked")
		case "content-length":
			length, _ = strconv.Atoi(value)
		}
	}
	m.head = head.String()
	var body []byte
	var err error
	switch {
	case m.chunked:
		err = readChunked(br, &m)
	case length >= 0:
		body = make([]byte, length)
		_, err = io.ReadFull(br, body)
		m.data = string(body)
	case response:
		body, err = io.ReadAll(br)
		m.data = string(body)
	}
	return m, err
}

// readChunked reads a chunked body into m.data and m.trailer.
func readChunked(br *bufio.Reader, m *message) error {
	var data, trailer strings.Builder
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		size, _, _ := strings.Cut(strings.TrimSuffix(l, "\r\n"), ";")
		n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 32)
		if err != nil || n < 0 {
			return errChunked
		}
		if n == 0 {
			break
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(br, b); err != nil {
			return err
		}
		if string(b[n:]) != "\r\n" {
			return errChunked
		}
		data.Write(b[:n])
	}
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		trailer.WriteString(l)
		if l == "\r\n" {
			break
		}
	}
	m.data, m.trailer = data.String(), trailer.String()
	return nil
}

// target returns the request target of a request head.
func (m *message) target() string {
	f := strings.Fields(m.head)
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

// received is one request as an origin read it, whole or not.
type received struct {
	m   message
	err error
}

// trailerOrigin answers each request with the response its path names
// (plainOK for any other path), and reports every request it read, whole
// or cut short, on got. A target holding "slow" is answered a byte at a
// time (32 bytes at a time after the first kilobyte), a millisecond apart.
type trailerOrigin struct {
	*testorigin.Raw
	got chan received
}

const plainOK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

func startTrailerOrigin(t testing.TB, resps map[string]string) *trailerOrigin {
	t.Helper()
	o := &trailerOrigin{got: make(chan received, 1024)}
	raw := startRaw(t, func(_ *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		for {
			m, err := readMessage(br, false)
			if m.head == "" && err != nil {
				return
			}
			o.got <- received{m, err}
			if err != nil {
				return
			}
			path, _, _ := strings.Cut(m.target(), "?")
			resp, ok := resps[path]
			if !ok {
				resp = plainOK
			}
			if !strings.Contains(m.target(), "slow") {
				if _, err := io.WriteString(c, resp); err != nil {
					return
				}
				continue
			}
			step := 1 // a byte a time, 32 past the first kilobyte
			for i := 0; i < len(resp); i += step {
				if i >= 1024 {
					step = 32
				}
				if _, err := io.WriteString(c, resp[i:min(i+step, len(resp))]); err != nil {
					return
				}
				time.Sleep(time.Millisecond)
			}
		}
	})
	o.Raw = raw
	return o
}

// next returns the next request the origin read.
func (o *trailerOrigin) next(t testing.TB) received {
	t.Helper()
	select {
	case r := <-o.got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the origin got no request")
		return received{}
	}
}

// sendSlowly writes s to the proxy a byte at a time.
func (c *client) sendSlowly(s string) {
	c.t.Helper()
	for i := range len(s) {
		c.send(s[i : i+1])
		time.Sleep(time.Millisecond)
	}
}

const (
	// testTrailer is a trailer section HAProxy forwards as it is.
	testTrailer = "X-Sum: 1\r\nY-Two:  v w \r\nConnection: close\r\nContent-Length: 7\r\n\r\n"
	// chunkedPost sends abcdefgh in two chunks, then testTrailer.
	chunkedPost = "POST /up HTTP/1.1\r\nHost: x\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"3;e=1\r\nabc\r\n5\r\ndefgh\r\n0;z\r\n" + testTrailer
)

// trailerResponses are the origin's chunked responses by path.
var trailerResponses = map[string]string{
	"/down": "HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"3\r\nabc\r\n5;ext\r\ndefgh\r\n0\r\n" + testTrailer,
	"/edited": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"2\r\nok\r\n0\r\nHost: a\r\nContent-Length: 4 , 4\r\nConnection:\r\nX: 1\r\nhost: A\r\n\r\n",
	"/empty": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
	"/bad":   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	"/large": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX: " + strings.Repeat("a", 16000) + "\r\n\r\n",
}

func startTrailerProxy(t *testing.T) (*trailerOrigin, string) {
	o := startTrailerOrigin(t, trailerResponses)
	_, addr := startEngine(t, rawConfig(o.Addr, ""))
	return o, addr
}

func TestHTTPTrailersRequest(t *testing.T) {
	t.Parallel()
	o, addr := startTrailerProxy(t)
	for _, slow := range []bool{false, true} {
		c := dial(t, addr)
		if slow {
			c.sendSlowly(chunkedPost)
		} else {
			c.send(chunkedPost)
		}
		r := o.next(t)
		if r.err != nil || r.m.data != "abcdefgh" || r.m.trailer != testTrailer {
			t.Fatalf("slow %v: the origin got data %q trailer %q (%v)", slow, r.m.data, r.m.trailer, r.err)
		}
		if !strings.Contains(r.m.head, "\r\nTrailer: X-Sum\r\n") {
			t.Fatalf("slow %v: Trailer field not forwarded: %q", slow, r.m.head)
		}
		if resp, body := c.response("GET"); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("slow %v: response %d %q", slow, resp.StatusCode, body)
		}
	}
}

func TestHTTPTrailersResponse(t *testing.T) {
	t.Parallel()
	_, addr := startTrailerProxy(t)
	c := dial(t, addr)
	for _, tc := range []struct{ path, data, trailer string }{
		{"/down", "abcdefgh", testTrailer},
		{"/down?slow", "abcdefgh", testTrailer},
		{"/empty", "ok", "\r\n"},
		{"/empty?slow", "ok", "\r\n"},
		{"/edited", "ok", "Host: a\r\nContent-Length: 4\r\nX: 1\r\n\r\n"},
		{"/edited?slow", "ok", "Host: a\r\nContent-Length: 4\r\nX: 1\r\n\r\n"},
	} {
		c.send("GET " + tc.path + " HTTP/1.1\r\nHost: x\r\n\r\n")
		m, err := readMessage(c.br, true)
		if err != nil || !m.chunked || m.data != tc.data || m.trailer != tc.trailer {
			t.Fatalf("%s: the client got %q data %q trailer %q (%v)", tc.path, m.head, m.data, m.trailer, err)
		}
	}
}

// TestHTTPTrailersEdited: the fields HAProxy drops from a request's trailer
// section do not reach the server.
func TestHTTPTrailersEdited(t *testing.T) {
	t.Parallel()
	o, addr := startTrailerProxy(t)
	c := dial(t, addr)
	c.send("POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n" +
		"Content-Length: 2\r\nTransfer-Encoding: gzip, chunked\r\nConnection: \r\nHost: y\r\nHOST: Y\r\nX: 1\r\n\r\n")
	r := o.next(t)
	if want := "Transfer-Encoding: gzip, chunked\r\nHost: y\r\nX: 1\r\n\r\n"; r.err != nil || r.m.trailer != want {
		t.Fatalf("the origin got trailer %q (%v), want %q", r.m.trailer, r.err, want)
	}
	c.response("POST")
}

// TestHTTPTrailersPipelined: requests pipelined behind a chunked request
// with trailers are served in order on the same connections.
func TestHTTPTrailersPipelined(t *testing.T) {
	t.Parallel()
	o, addr := startTrailerProxy(t)
	c := dial(t, addr)
	c.send(chunkedPost + "GET /down HTTP/1.1\r\nHost: x\r\n\r\n" + chunkedPost + "GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
	for i, want := range []string{"/up", "/down", "/up", "/next"} {
		r := o.next(t)
		if r.err != nil || r.m.target() != want {
			t.Fatalf("request %d: the origin got %q (%v), want %s", i, r.m.head, r.err, want)
		}
		if want == "/up" && (r.m.data != "abcdefgh" || r.m.trailer != testTrailer) {
			t.Fatalf("request %d: data %q trailer %q", i, r.m.data, r.m.trailer)
		}
		m, err := readMessage(c.br, true)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		if want == "/down" && m.trailer != testTrailer {
			t.Fatalf("response %d: trailer %q", i, m.trailer)
		}
	}
}

// TestHTTPTrailersHTTP10Client: as HAProxy 2.6, tether answers an HTTP/1.0
// client with the chunked response the server sent, trailers included, and
// closes the connection after it (keeps it when the client asked to).
func TestHTTPTrailersHTTP10Client(t *testing.T) {
	t.Parallel()
	_, addr := startTrailerProxy(t)
	for _, keep := range []bool{false, true} {
		c := dial(t, addr)
		req := "GET /down HTTP/1.0\r\n\r\n"
		if keep {
			req = "GET /down HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
		}
		c.send(req)
		m, err := readMessage(c.br, true)
		if err != nil || !m.chunked || m.data != "abcdefgh" || m.trailer != testTrailer {
			t.Fatalf("keep %v: the client got %q data %q trailer %q (%v)", keep, m.head, m.data, m.trailer, err)
		}
		if !keep {
			if !c.closed() {
				t.Fatal("the connection stays open")
			}
			continue
		}
		c.send(req)
		if m, err := readMessage(c.br, true); err != nil || m.trailer != testTrailer {
			t.Fatalf("second response on the kept connection: trailer %q (%v)", m.trailer, err)
		}
	}
}

// TestHTTPTrailersRefused: a trailer section that breaks the rules, or
// does not fit in the decoder's limit, cuts the message short: the peer
// never sees its end. A client whose request it was hears HAProxy's 400.
func TestHTTPTrailersRefused(t *testing.T) {
	t.Parallel()
	o, addr := startTrailerProxy(t)
	for _, path := range []string{"/bad", "/large"} {
		// The whole response came at once: HAProxy parses it before it
		// forwards the head, and answers its 502.
		c := dial(t, addr)
		c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
		if r, _ := c.response("GET"); r.StatusCode != 502 {
			t.Fatalf("%s: status %d, want 502", path, r.StatusCode)
		}
		o.next(t)
	}
	for _, path := range []string{"/large?slow"} {
		c := dial(t, addr)
		c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
		if m, err := readMessage(c.br, true); err == nil {
			t.Fatalf("%s: the client got a whole response: %q %q", path, m.data, m.trailer)
		}
		o.next(t)
	}
	for _, tr := range []string{"Content-Length: 1\r\nContent-Length: 2\r\n\r\n", "Transfer-Encoding: gzip\r\n\r\n", "X: " + strings.Repeat("a", 16000) + "\r\n\r\n"} {
		c := dial(t, addr)
		c.send("POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
		time.Sleep(50 * time.Millisecond) // the head goes to the server before the body comes
		c.send("2\r\nok\r\n0\r\n" + tr)
		if r := o.next(t); r.err == nil {
			t.Fatalf("%.30q: the origin got a whole request with trailer %q", tr, r.m.trailer)
		}
		want := "HTTP/1.1 400 Bad request\r\ncontent-length: 90\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n" + errBody400
		if got := c.rest(); got != want {
			t.Fatalf("%.30q: the client got %q, want %q", tr, got, want)
		}
	}
}

// TestHTTPTrailersRefusedLog: a request refused for its trailer section is
// logged as HAProxy logs it: 400 with the reply's size, no response time,
// PH.
func TestHTTPTrailersRefusedLog(t *testing.T) {
	t.Parallel()
	o := startTrailerOrigin(t, trailerResponses)
	cfg, pc := withHTTPLog(t, rawConfig(o.Addr, ""))
	_, addr := startEngine(t, cfg)
	c := dial(t, addr)
	c.send("POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
	time.Sleep(50 * time.Millisecond) // the head goes to the server before the body comes
	c.send("2\r\nok\r\n0\r\nTransfer-Encoding: gzip\r\n\r\n")
	reply := c.rest()
	line, err := nextLog(pc, 5*time.Second)
	if err != nil {
		t.Fatalf("no log line: %v", err)
	}
	want := "/-1/"
	head, body, _ := strings.Cut(reply, "\r\n\r\n")
	head = strings.Replace(head, "\r\nconnection: close", "", 1) // HAProxy's output adds it: not counted
	size := htxSize(head+"\r\n\r\n") + len(body)
	if !strings.Contains(line, want) || !strings.Contains(line, " 400 "+strconv.Itoa(size)+" - - PH-- ") {
		t.Fatalf("log line %q; the client got %q, which HAProxy counts as %d bytes", line, reply, size)
	}
}

// TestHTTPTrailersAfterBackpressure: trailer sections follow large chunked
// bodies: a response the client starts reading late, so that the server
// is paused meanwhile, and an upload.
func TestHTTPTrailersAfterBackpressure(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("large bodies")
	}
	const size = 8 << 20
	chunk := strings.Repeat("z", 64<<10)
	var body strings.Builder
	for range size / len(chunk) {
		body.WriteString(strconv.FormatInt(int64(len(chunk)), 16) + "\r\n" + chunk + "\r\n")
	}
	body.WriteString("0\r\n" + testTrailer)
	o := startTrailerOrigin(t, map[string]string{
		"/big": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body.String(),
	})
	_, addr := startEngine(t, rawConfig(o.Addr, ""))
	c := dial(t, addr)
	c.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(300 * time.Millisecond) // the proxy's output to the client fills up
	m, err := readMessage(c.br, true)
	if err != nil || len(m.data) != size || m.trailer != testTrailer {
		t.Fatalf("response: %d bytes, trailer %q (%v)", len(m.data), m.trailer, err)
	}
	o.next(t)
	go func() {
		_, _ = io.WriteString(c.c, "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"+body.String())
	}()
	r := o.next(t)
	if r.err != nil || len(r.m.data) != size || r.m.trailer != testTrailer {
		t.Fatalf("request: %d bytes, trailer %q (%v)", len(r.m.data), r.m.trailer, r.err)
	}
	if resp, _ := c.response("POST"); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
