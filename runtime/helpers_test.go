package runtime

import (
	"io"
	"net"
	"testing"
	"time"
)

// ioTimeout bounds every socket operation of the tests.
const ioTimeout = 5 * time.Second

// startServer serves ctl on a TCP socket of 127.0.0.1 at the given level and
// closes it when the test ends.
func startServer(t *testing.T, level Level, ctl Control) *Server {
	t.Helper()
	spec, err := NewSocketSpec("ipv4@127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	spec.Level = level
	srv, err := Listen(spec, ctl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// dial connects to a socket, failing the test on error.
func dial(t *testing.T, network, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout(network, addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(ioTimeout))
	return c
}

// exchange does what `printf input | socat stdio <addr>` does: it writes
// input, half-closes, and returns everything read until the server closes.
func exchange(t *testing.T, network, addr, input string) string {
	t.Helper()
	c := dial(t, network, addr)
	if _, err := io.WriteString(c, input); err != nil {
		t.Fatal(err)
	}
	switch cc := c.(type) {
	case *net.TCPConn:
		cc.CloseWrite()
	case *net.UnixConn:
		cc.CloseWrite()
	}
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading reply to %.80q: %v (got %.200q)", input, err, out)
	}
	return string(out)
}

// tcpExchange is exchange on a TCP server.
func tcpExchange(t *testing.T, srv *Server, input string) string {
	t.Helper()
	return exchange(t, "tcp", srv.Addr().String(), input)
}
