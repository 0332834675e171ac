package runtime

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"

	"tether/engine"
	"tether/engine/config"
)

// origin is a small HTTP server on 127.0.0.1 that names itself in the
// x-server response field and in its body, so a test can tell which server
// answered.
type origin struct {
	name     string
	addr     netip.AddrPort
	requests atomic.Int64
	srv      *http.Server
}

// startOrigin starts an origin answering as name and stops it at the end of
// the test.
func startOrigin(t testing.TB, name string) *origin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &origin{name: name, addr: ln.Addr().(*net.TCPAddr).AddrPort()}
	body := originBody(name)
	o.srv = &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			o.requests.Add(1)
			w.Header().Set("X-Server", name)
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			io.WriteString(w, body)
		}),
	}
	go o.srv.Serve(ln)
	t.Cleanup(func() { o.srv.Close() })
	return o
}

// originBody is the body an origin named name answers with.
func originBody(name string) string { return "served by " + name + "\n" }

// port is the origin's port.
func (o *origin) port() int { return int(o.addr.Port()) }

// tether is an engine serving a configuration, with its runtime sockets.
type tether struct {
	e       *engine.Engine
	front   string   // address of the first listener
	sockets *Sockets // one server per stats socket line
}

// socket returns the address of the i-th stats socket.
func (tt *tether) socket(i int) string { return tt.sockets.Servers[i].Addr().String() }

// startTether runs an engine on the configuration text (binds and stats
// sockets on port 0) with its runtime sockets, and stops both at the end of
// the test.
func startTether(t testing.TB, text string) *tether {
	t.Helper()
	cfg, err := config.Parse(config.File{Name: "test.cfg", Data: []byte(text)})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
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
	ss, err := ListenAll(cfg, e)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ss.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.Stop(ctx)
		select {
		case <-errc:
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return &tether{e: e, front: e.Listeners()[0].Addr().String(), sockets: ss}
}

// frontConfig renders the start of a configuration: an admin stats socket
// on 127.0.0.1 port stats, the tests' defaults, and frontend fe on
// 127.0.0.1 port front with default backend def.
func frontConfig(stats, front int, def string) string {
	return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
`+testDefaults+`frontend fe
    bind 127.0.0.1:%d
    default_backend %s
`, stats, front, def)
}

// testDefaults is the defaults section of the tests' configurations.
const testDefaults = `defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
`

// cookieConfig renders frontConfig and backend bk, round robin with dynamic
// cookies SRVID under key mysecretphrase, over servers s1, s2, ... whose
// lines end with the given words (an address, options).
func cookieConfig(stats, front int, servers ...string) string {
	var b strings.Builder
	b.WriteString(frontConfig(stats, front, "bk"))
	b.WriteString("backend bk\n    balance roundrobin\n    cookie SRVID insert indirect nocache dynamic\n")
	b.WriteString("    dynamic-cookie-key mysecretphrase\n")
	for i, words := range servers {
		fmt.Fprintf(&b, "    server s%d %s\n", i+1, words)
	}
	return b.String()
}

// httpConn is one keep-alive client connection.
type httpConn struct {
	c  net.Conn
	br *bufio.Reader
}

func dialHTTP(t testing.TB, addr string) *httpConn {
	t.Helper()
	hc, err := dialHTTPErr(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hc.c.Close() })
	return hc
}

// dialHTTPErr connects to addr; the caller closes the connection.
func dialHTTPErr(addr string) (*httpConn, error) {
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return nil, err
	}
	return &httpConn{c: c, br: bufio.NewReader(c)}, nil
}

// reply is what a client saw of one exchange.
type reply struct {
	status    int
	server    string // x-server: the origin that answered
	body      string
	setCookie []string // Set-Cookie fields
}

// get sends GET / with the cookie (none when empty) and reads the response.
func (hc *httpConn) get(cookie string) (reply, error) {
	hc.c.SetDeadline(time.Now().Add(ioTimeout))
	req := "GET / HTTP/1.1\r\nHost: test\r\n"
	if cookie != "" {
		req += "Cookie: " + cookie + "\r\n"
	}
	if _, err := io.WriteString(hc.c, req+"\r\n"); err != nil {
		return reply{}, err
	}
	resp, err := http.ReadResponse(hc.br, &http.Request{Method: "GET"})
	if err != nil {
		return reply{}, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return reply{}, err
	}
	return reply{status: resp.StatusCode, server: resp.Header.Get("X-Server"), body: string(b),
		setCookie: resp.Header.Values("Set-Cookie")}, nil
}

// mustGet is get failing the test on error or a status other than 200.
func (hc *httpConn) mustGet(t testing.TB, cookie string) reply {
	t.Helper()
	r, err := hc.get(cookie)
	if err != nil {
		t.Fatal(err)
	}
	if r.status != 200 || r.body != originBody(r.server) {
		t.Fatalf("status %d from %q, body %q", r.status, r.server, r.body)
	}
	return r
}

// dynamicValue is the dynamic cookie HAProxy computes for key and an IPv4
// ip:port (spec section 4.1): XXH64 with seed 0 of the key, the 4 address
// bytes and the port as a big-endian 32-bit number, in 16 hex digits.
func dynamicValue(key string, ap netip.AddrPort) string {
	ip := ap.Addr().As4()
	p := ap.Port()
	b := append([]byte(key), ip[:]...)
	b = append(b, 0, 0, byte(p>>8), byte(p))
	return fmt.Sprintf("%016x", xxhash.Sum64(b))
}

// removal is the Set-Cookie value for a server without a cookie.
const removal = "SRVID=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/"
