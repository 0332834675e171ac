// Package bench holds tether's load-test tooling: origin servers, a load
// generator with a cookie jar per virtual user that checks stickiness, and
// the reports of the side-by-side suite.
package bench

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// Origin is an HTTP/1.1 origin server for demos, tests and benchmarks. Every
// response carries an "x-server" field with the origin's name, so a client
// sees which server answered, and an "x-seen-cookie" field echoing the Cookie
// field the origin received, so a client sees what the proxy forwarded.
//
// The request's query string selects the response:
//
//	size=N        a body of N bytes ('x'), Content-Length framed
//	chunked=1     the body is sent with chunked transfer coding
//	status=N      the status code (default 200)
//	setcookie=V   add "set-cookie: V" (repeatable)
//	delay=D       wait D (a Go duration such as 50ms) before answering
//	close=1       answer with "connection: close" and close
//
// Without size the body is "<name>\n". An Origin is safe for concurrent use.
type Origin struct {
	Name string

	srv *fasthttp.Server
	ln  net.Listener

	mu       sync.Mutex
	requests uint64
	done     chan struct{}
}

// ErrOriginStarted is returned by Start on an Origin that already runs.
var ErrOriginStarted = errors.New("bench: origin already started")

// Start listens on addr (for example "127.0.0.1:0") and serves in a
// goroutine until Close.
func (o *Origin) Start(addr string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ln != nil {
		return ErrOriginStarted
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	o.ln = ln
	o.srv = &fasthttp.Server{
		Handler:                       o.serve,
		Name:                          "",
		NoDefaultServerHeader:         true,
		NoDefaultDate:                 true,
		NoDefaultContentType:          true,
		DisableHeaderNamesNormalizing: true,
		ReadTimeout:                   time.Minute,
		IdleTimeout:                   time.Minute,
	}
	o.done = make(chan struct{})
	go func(srv *fasthttp.Server, done chan struct{}) {
		defer close(done)
		_ = srv.Serve(ln)
	}(o.srv, o.done)
	return nil
}

// Addr returns the address the origin listens on, or nil before Start.
func (o *Origin) Addr() net.Addr {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ln == nil {
		return nil
	}
	return o.ln.Addr()
}

// Requests returns how many requests the origin has answered.
func (o *Origin) Requests() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.requests
}

// Close stops the origin and waits until its server goroutine has returned.
// Open keep-alive connections are closed.
func (o *Origin) Close() error {
	o.mu.Lock()
	srv, done := o.srv, o.done
	o.srv, o.ln = nil, nil
	o.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown()
	<-done
	return err
}

func (o *Origin) serve(ctx *fasthttp.RequestCtx) {
	o.mu.Lock()
	o.requests++
	o.mu.Unlock()

	args := ctx.QueryArgs()
	if d := args.Peek("delay"); len(d) > 0 {
		if dur, err := time.ParseDuration(string(d)); err == nil && dur > 0 && dur < time.Minute {
			time.Sleep(dur)
		}
	}
	h := &ctx.Response.Header
	h.Set("x-server", o.Name)
	// Names keep their case here (HAProxy sends "cookie"), so match it
	// without case.
	ctx.Request.Header.VisitAll(func(k, v []byte) {
		if bytes.EqualFold(k, cookieName) {
			h.SetBytesV("x-seen-cookie", v)
		}
	})
	if s, err := strconv.Atoi(string(args.Peek("status"))); err == nil && s >= 200 && s <= 599 {
		ctx.SetStatusCode(s)
	}
	for _, v := range args.PeekMulti("setcookie") {
		h.AddBytesV("set-cookie", v)
	}
	if string(args.Peek("close")) == "1" {
		ctx.SetConnectionClose()
	}
	size, err := strconv.Atoi(string(args.Peek("size")))
	if err != nil || size < 0 {
		ctx.SetBodyString(o.Name + "\n")
		return
	}
	switch {
	case string(args.Peek("chunked")) == "1":
		ctx.SetBodyStream(&fillerReader{left: size}, -1)
	case size <= len(fillerBytes):
		ctx.SetBody(fillerBytes[:size])
	default:
		ctx.SetBodyStream(&fillerReader{left: size}, size)
	}
}

var cookieName = []byte("Cookie")

// fillerBytes backs the bodies of sized responses up to its length.
var fillerBytes = func() []byte {
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = 'x'
	}
	return b
}()

// fillerReader streams left bytes of 'x' without holding them in memory.
type fillerReader struct{ left int }

func (c *fillerReader) Read(p []byte) (int, error) {
	if c.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), c.left, len(fillerBytes))
	copy(p, fillerBytes[:n])
	c.left -= n
	return n, nil
}
