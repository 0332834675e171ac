package engine

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
)

// failure is how a retry origin fails a request it reads.
type failure string

const (
	failClose   failure = "close"   // closes without a byte of response
	failReset   failure = "reset"   // resets the connection without a byte of response
	failJunk    failure = "junk"    // answers a line that is no HTTP
	failPartial failure = "partial" // answers half a head, then closes
	failHold    failure = "hold"    // never answers: the server timeout strikes
	fail503     failure = "503"     // answers 503 and keeps the connection
	fail504     failure = "504"     // answers 504 and closes
	fail404     failure = "404"     // answers 404 and keeps the connection
)

// retryOrigin answers its first ok requests, fails the next fails ones as
// how says, then answers the rest: 200, naming itself and the body length
// it read. It counts the requests it read.
type retryOrigin struct {
	name  string
	how   failure
	fails int64
	ok    int64
	seen  atomic.Int64
}

func (o *retryOrigin) serve(_ *testorigin.Raw, c net.Conn, br *bufio.Reader) {
	for {
		req, err := http1Request(br)
		if err != nil {
			return
		}
		n := o.seen.Add(1)
		if n <= o.ok || n > o.ok+o.fails {
			testorigin.Printf(c, "HTTP/1.1 200 OK\r\nX-Server: %s\r\nContent-Length: %d\r\n\r\n%s:%d", o.name,
				len(o.name)+1+len(strconv.Itoa(req)), o.name, req)
			continue
		}
		switch o.how {
		case failClose:
			return
		case failReset:
			_ = c.(*net.TCPConn).SetLinger(0)
			return
		case failJunk:
			_, _ = io.WriteString(c, "garbage\r\n\r\n")
			return
		case failPartial:
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-")
			return
		case failHold:
			_, _ = io.Copy(io.Discard, br)
			return
		case fail503:
			_, _ = io.WriteString(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy")
		case fail504:
			_, _ = io.WriteString(c, "HTTP/1.1 504 Gateway Timeout\r\nContent-Length: 4\r\nConnection: close\r\n\r\nlate")
			return
		case fail404:
			_, _ = io.WriteString(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnone")
		}
	}
}

// http1Request reads one request head and its body (Content-Length, or
// chunked without trailers), and returns the body's length.
func http1Request(br *bufio.Reader) (int, error) {
	n, chunked := 0, false
	err := readFields(br, func(name, value string) {
		if strings.EqualFold(name, "Content-Length") {
			n, _ = strconv.Atoi(strings.TrimSpace(value))
		}
		chunked = chunked || strings.EqualFold(name, "Transfer-Encoding")
	})
	for chunked && err == nil {
		var size string
		if size, err = br.ReadString('\n'); err != nil {
			break
		}
		k, _ := strconv.ParseInt(strings.TrimSpace(size), 16, 32)
		if k == 0 {
			_, err = br.ReadString('\n') // the empty trailer section
			return n, err
		}
		n += int(k)
		_, err = io.CopyN(io.Discard, br, k+2)
	}
	if err != nil || chunked {
		return 0, err
	}
	_, err = io.CopyN(io.Discard, br, int64(n))
	return n, err
}

// retryResponse reads the response to req: its status and body, or 0 and
// "closed" when the connection closes first.
func (c *client) retryResponse(req string) (int, string) {
	r, err := http.ReadResponse(c.br, &http.Request{Method: strings.Fields(req)[0]})
	if err != nil {
		return 0, "closed"
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return r.StatusCode, "cut: " + string(b)
	}
	return r.StatusCode, string(b)
}

const (
	retryGet  = "GET /r HTTP/1.1\r\nHost: x\r\n\r\n"
	retryPost = "POST /r HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
)

// TestRetryKeepsBody: without haproxy, a request whose server fails it
// once as retry-on names goes again whole, body included, and is logged
// with its retry.
func TestRetryKeepsBody(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, backend string
		how           failure
		req           string
		want          string
	}{
		{"503 length", "retry-on 503", fail503, retryPost, "s1:5"},
		{"empty chunked", "retry-on empty-response", failClose,
			"POST /r HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", "s1:5"},
		{"junk", "retry-on junk-response", failJunk, retryGet, "s1:0"},
	} {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			o := &retryOrigin{name: "s1", how: c.how, fails: 1}
			srv := startRaw(t, o.serve).Addr
			cfg, logs := withHTTPLog(t, backendConfig("  "+c.backend+"\n  server s1 %s\n", srv))
			_, addr := startEngine(t, cfg)
			cl := dialFor(t, addr, 10*time.Second)
			cl.send(c.req)
			status, body := cl.retryResponse(c.req)
			if status != 200 || body != c.want || o.seen.Load() != 2 {
				t.Errorf("got %d %q after %d attempts, want 200 %q after 2", status, body, o.seen.Load(), c.want)
			}
			line, err := nextLog(logs, 3*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if m := logFields.FindStringSubmatch(line); m == nil || m[7] != "1" {
				t.Errorf("log line %q: want 1 retry", line)
			}
		})
	}
}
