// Package testorigin runs small HTTP origin servers on 127.0.0.1 for the
// engine's tests. An Origin names itself in the x-server response field,
// echoes the Cookie fields it received in x-seen-cookie and counts the
// requests it parsed, so a test can tell which server answered and how many
// requests really reached it. Query arguments select the response:
//
//	size=N        a body of N bytes (Content-Length)
//	chunked=N     a body of N bytes, chunked
//	status=N      the status code
//	setcookie=V   a Set-Cookie field with value V
//	cachecontrol=V a Cache-Control field with value V
//	close=1       Connection: close, then close
//	delay=D       wait D (a time.Duration) before answering
//	echo=1        the request body as the response body
package testorigin

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Origin is one origin server. Its methods are safe for concurrent use.
type Origin struct {
	Name string
	Addr string // host:port

	srv      *http.Server
	ln       net.Listener
	requests atomic.Int64
	conns    atomic.Int64
}

// Start starts an origin named name on a free port of 127.0.0.1.
func Start(name string) (*Origin, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	o := &Origin{Name: name, Addr: ln.Addr().String(), ln: ln}
	o.srv = &http.Server{
		Handler:           http.HandlerFunc(o.serve),
		ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				o.conns.Add(1)
			}
		},
	}
	go func() { _ = o.srv.Serve(ln) }()
	return o, nil
}

// Requests returns the number of requests the origin received.
func (o *Origin) Requests() int64 { return o.requests.Load() }

// Conns returns the number of connections the origin accepted.
func (o *Origin) Conns() int64 { return o.conns.Load() }

// Close stops the origin and closes its connections.
func (o *Origin) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = o.srv.Shutdown(ctx)
	return o.srv.Close()
}

func (o *Origin) serve(w http.ResponseWriter, r *http.Request) {
	o.requests.Add(1)
	q := r.URL.Query()
	h := w.Header()
	h.Set("X-Server", o.Name)
	h.Set("X-Seen-Cookie", strings.Join(r.Header.Values("Cookie"), " | "))
	h.Set("X-Seen-XFF", r.Header.Get("X-Forwarded-For"))
	h.Set("X-Seen-Path", r.URL.RequestURI())
	if v := q.Get("setcookie"); v != "" {
		h.Add("Set-Cookie", v)
	}
	if v := q.Get("cachecontrol"); v != "" {
		h.Set("Cache-Control", v)
	}
	if d, err := time.ParseDuration(q.Get("delay")); err == nil {
		time.Sleep(d)
	}
	if q.Get("close") == "1" {
		h.Set("Connection", "close")
	}
	status := 200
	if s, err := strconv.Atoi(q.Get("status")); err == nil {
		status = s
	}
	switch {
	case q.Get("echo") == "1":
		if r.ContentLength > 1<<20 {
			h.Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
			w.WriteHeader(status)
			_, _ = io.Copy(w, r.Body) // streamed: the body is large
			return
		}
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(status)
		_, _ = w.Write(b)
	case q.Get("chunked") != "":
		n, _ := strconv.Atoi(q.Get("chunked"))
		w.WriteHeader(status)
		writeN(w, n, true)
	default:
		n, _ := strconv.Atoi(q.Get("size"))
		if status != 204 && status != 304 {
			h.Set("Content-Length", strconv.Itoa(n))
		}
		w.WriteHeader(status)
		writeN(w, n, false)
	}
}

// writeN writes n bytes of a repeating pattern, flushing every block when
// chunked.
func writeN(w http.ResponseWriter, n int, flush bool) {
	var block [32 << 10]byte
	for i := range block {
		block[i] = 'a' + byte(i%26)
	}
	for n > 0 {
		k := min(n, len(block))
		if _, err := w.Write(block[:k]); err != nil {
			return
		}
		if flush {
			w.(http.Flusher).Flush()
		}
		n -= k
	}
}

// Pattern returns the byte at offset i of a body written by an origin.
func Pattern(i int) byte { return 'a' + byte(i%(32<<10)%26) }

// Raw is an origin answering every connection with a function of its own,
// for responses net/http will not produce (a 101 echo, broken framing, a
// close in the middle of a body). It counts the requests it read.
type Raw struct {
	Addr     string
	ln       net.Listener
	requests atomic.Int64
}

// StartRaw starts a raw origin; serve runs on its own goroutine for each
// connection, with a reader over it, and closes nothing itself.
func StartRaw(serve func(r *Raw, c net.Conn, br *bufio.Reader)) (*Raw, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Raw{Addr: ln.Addr().String(), ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(r, c, bufio.NewReader(c))
			}()
		}
	}()
	return r, nil
}

// ReadRequest reads one request head and body and counts it.
func (r *Raw) ReadRequest(br *bufio.Reader) (*http.Request, []byte, error) {
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, nil, err
	}
	r.requests.Add(1)
	body, err := io.ReadAll(req.Body)
	return req, body, err
}

// ReadHead reads one head as it came, up to and including its empty line.
func ReadHead(br *bufio.Reader) (string, error) {
	var head strings.Builder
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return head.String(), err
		}
		head.WriteString(l)
		if l == "\r\n" {
			return head.String(), nil
		}
	}
}

// Requests returns the number of requests read.
func (r *Raw) Requests() int64 { return r.requests.Load() }

// Close stops accepting.
func (r *Raw) Close() error { return r.ln.Close() }

// Printf is fmt.Fprintf for origins' raw replies.
func Printf(w io.Writer, format string, a ...any) { _, _ = fmt.Fprintf(w, format, a...) }
