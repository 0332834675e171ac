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
func startServer(t testing.TB, level Level, ctl Control) *Server {
	t.Helper()
	return serveAt(t, "ipv4@127.0.0.1:0", ctl, func(spec *SocketSpec) { spec.Level = level })
}

// serveAt serves ctl on the socket at addr, its description changed by edit
// (when not nil), and closes it when the test ends.
func serveAt(t testing.TB, addr string, ctl Control, edit func(*SocketSpec)) *Server {
	t.Helper()
	spec, err := NewSocketSpec(addr)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&spec)
	}
	srv, err := Listen(spec, ctl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// dial connects to a socket, failing the test on error; the connection
// closes when the test ends.
func dial(t testing.TB, network, addr string) net.Conn {
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
func exchange(t testing.TB, network, addr, input string) string {
	t.Helper()
	c := dial(t, network, addr)
	defer c.Close()
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

// cli sends one command line to a TCP socket as socat does and returns the
// reply.
func cli(t testing.TB, addr, line string) string {
	t.Helper()
	return exchange(t, "tcp", addr, line+"\n")
}

// mustCLI sends a command whose reply must be the empty success reply.
func mustCLI(t testing.TB, addr, line string) {
	t.Helper()
	if got := cli(t, addr, line); got != "\n" {
		t.Fatalf("%q: reply %q, want success", line, got)
	}
}

// adminOnly are commands that sessions below the admin level are refused.
var adminOnly = []string{
	"enable dynamic-cookie backend bk", "disable dynamic-cookie backend bk",
	"set dynamic-cookie-key backend bk k", "set server bk/s1 state drain",
	"set weight bk/s1 2", "enable server bk/s1", "disable server bk/s1",
	"enable health ls/x", "disable health ls/x", "add server bk/n 127.0.0.1:1",
	"del server bk/s1", "shutdown sessions server bk/s1", "set maxconn global 5",
	"set maxconn frontend fe 5", "disable frontend fe", "enable frontend fe", "shutdown frontend fe",
	"set maxconn server bk/s1 5",
}

// tcpExchange is exchange on a TCP server.
func tcpExchange(t *testing.T, srv *Server, input string) string {
	t.Helper()
	return exchange(t, "tcp", srv.Addr().String(), input)
}
