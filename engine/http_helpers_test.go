package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether/engine/config"
	"tether/engine/internal/testorigin"
)

// startOrigins starts origins named s1, s2, ... and stops them at the end.
func startOrigins(t testing.TB, n int) []*testorigin.Origin {
	t.Helper()
	var os []*testorigin.Origin
	for i := range n {
		o, err := testorigin.Start(fmt.Sprintf("s%d", i+1))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = o.Close() })
		os = append(os, o)
	}
	return os
}

// startEngine runs an engine for the configuration text (its binds should
// use port 0) and returns the address of its first listener.
func startEngine(t testing.TB, text string) (*Engine, string) {
	t.Helper()
	return startEngineTick(t, text, 0)
}

// startEngineTick is startEngine with a timer wheel resolution.
func startEngineTick(t testing.TB, text string, tick time.Duration) (*Engine, string) {
	t.Helper()
	cfg, err := config.Parse(config.File{Name: "test.cfg", Data: []byte(text)})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.tick = tick
	if err := e.Listen(nil); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- e.Serve() }()
	select {
	case <-e.Ready():
	case err := <-errc:
		t.Fatalf("Serve: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("engine not ready")
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
		select {
		case <-errc:
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return e, e.Listeners()[0].Addr().String()
}

// basicConfig renders a frontend and backend in front of origins with
// extra backend lines.
func basicConfig(origins []*testorigin.Origin, backend string) string {
	var b strings.Builder
	b.WriteString("defaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n")
	fmt.Fprintf(&b, "frontend fe\n  bind 127.0.0.1:%d\n  default_backend be\n", freePort())
	b.WriteString("backend be\n" + backend)
	for i, o := range origins {
		fmt.Fprintf(&b, "  server s%d %s cookie c%d\n", i+1, o.Addr, i+1)
	}
	return b.String()
}

// backendConfig renders a frontend on a free port of 127.0.0.1 in front of
// backend be (timeouts: connect 1s, client and server 5s), whose lines are
// backend formatted with a.
func backendConfig(backend string, a ...any) string {
	return fmt.Sprintf("defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n"+
		"frontend fe\n  bind 127.0.0.1:%d\n  default_backend be\nbackend be\n", freePort()) + fmt.Sprintf(backend, a...)
}

// freePort returns a port no other test is given (testorigin.FreePort).
func freePort() int { return testorigin.FreePort() }

// client is a raw client connection with a reader.
type client struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return &client{t: t, c: c, br: bufio.NewReader(c)}
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, s); err != nil {
		c.t.Fatal(err)
	}
}

// response reads one response to a request with method, body included.
func (c *client) response(method string) (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		c.t.Fatalf("reading response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("reading body: %v", err)
	}
	return resp, string(b)
}

// closed reports whether the server closed the connection (EOF next).
func (c *client) closed() bool {
	_ = c.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := c.br.ReadByte()
	return err == io.EOF
}

// rest reads everything until the server closes.
func (c *client) rest() string {
	b, _ := io.ReadAll(c.br)
	return string(b)
}

// aheadRequests is first followed by n small GETs of varied sizes, /r0 to
// /r(n-1), to pipeline behind it.
func aheadRequests(first string, n int) string {
	var b strings.Builder
	b.WriteString(first)
	for i := range n {
		b.WriteString("GET /r" + strconv.Itoa(i) + " HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("p", i%97) + "\r\n\r\n")
	}
	return b.String()
}

// sendAsync writes s from a goroutine, for a client that sends more than
// the proxy reads before answering; the channel reports the write's end.
func (c *client) sendAsync(s string) <-chan error {
	werr := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c.c, s)
		werr <- err
	}()
	return werr
}

// inOrder reads the answers to aheadRequests' first request (path /first)
// and the n behind it, checking each echoed X-Path, then the write's end.
func (c *client) inOrder(n int, werr <-chan error) {
	c.t.Helper()
	for i := -1; i < n; i++ {
		want := "/first"
		if i >= 0 {
			want = "/r" + strconv.Itoa(i)
		}
		r, _ := c.response("GET")
		if r.StatusCode != 200 || r.Header.Get("X-Path") != want {
			c.t.Fatalf("response %d: status %d for %q, want %s", i+1, r.StatusCode, r.Header.Get("X-Path"), want)
		}
	}
	if err := <-werr; err != nil {
		c.t.Fatal(err)
	}
}

// withHTTPLog adds `option httplog` and a `log` line to the defaults section
// of cfg, which must start with "defaults\n  mode http\n" (withLog), towards
// a UDP socket the test reads; it closes with the test.
func withHTTPLog(t testing.TB, cfg string) (string, net.PacketConn) {
	t.Helper()
	pc := logSocket(t)
	return strings.Replace(withLog(cfg), "{LOG}", pc.LocalAddr().String(), 1), pc
}

// htxSize returns what HAProxy's %B counts for a response head written as
// head (status line, fields, empty line): its internal form, where the
// start line's parts take 20 bytes more than themselves, a field its name
// and its value without blanks, and the end of the head one byte.
func htxSize(head string) int {
	lines := strings.Split(strings.TrimSuffix(head, "\r\n\r\n"), "\r\n")
	n := 20 + len(lines[0]) - len("  ") + 1 // the status line without the spaces around the code
	for _, l := range lines[1:] {
		name, value, _ := strings.Cut(l, ":")
		n += len(name) + len(strings.Trim(value, " \t"))
	}
	return n
}
