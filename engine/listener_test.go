package engine

import (
	"errors"
	"net"
	"os"
	"testing"
)

func TestParseBind(t *testing.T) {
	for _, tc := range []struct {
		in, network, address string
	}{
		{"*:80", "tcp4", "0.0.0.0:80"},
		{":8080", "tcp4", "0.0.0.0:8080"},
		{"0.0.0.0:80", "tcp4", "0.0.0.0:80"},
		{"127.0.0.1:0", "tcp4", "127.0.0.1:0"},
		{"ipv4@:80", "tcp4", "0.0.0.0:80"},
		{"ipv6@:80", "tcp6", "[::]:80"},
		{"[::]:443", "tcp6", "[::]:443"},
		{":::443", "tcp6", "[::]:443"},
		{"[::1]:8443", "tcp6", "[::1]:8443"},
		{"::1:8443", "tcp6", "[::1]:8443"},
		{"ipv6@::1:80", "tcp6", "[::1]:80"},
		{"[::ffff:10.0.0.1]:80", "tcp4", "10.0.0.1:80"},
	} {
		network, address, err := ParseBind(tc.in)
		if err != nil || network != tc.network || address != tc.address {
			t.Errorf("ParseBind(%q) = %q, %q, %v; want %q, %q", tc.in, network, address, err, tc.network, tc.address)
		}
	}
	for _, in := range []string{"", "80", "127.0.0.1", "127.0.0.1:", "host:80", "1.2.3.4:8x", "ipv4@[::1]:80", "ipv6@10.0.0.1:80", "[fe80::1%eth0]:80"} {
		if _, _, err := ParseBind(in); !errors.Is(err, ErrBind) {
			t.Errorf("ParseBind(%q) error %v, want ErrBind", in, err)
		}
	}
}

func TestHandoverInProcess(t *testing.T) {
	a, err := Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	lns := []*Listener{a}
	if l6, err := Listen("[::1]:0", nil); err == nil {
		defer l6.Close()
		lns = append(lns, l6)
	}
	fds, err := unixPair(t)
	if err != nil {
		t.Fatal(err)
	}
	if err := SendListeners(fds[0], lns); err != nil {
		t.Fatal(err)
	}
	got, err := ReceiveListeners(fds[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(lns) {
		t.Fatalf("received %d listeners, want %d", len(got), len(lns))
	}
	for _, ln := range lns {
		nl, err := Listen(ln.Name, got)
		if err != nil {
			t.Fatalf("Listen(%q) on the inherited socket: %v", ln.Name, err)
		}
		if nl.Addr().String() != ln.Addr().String() {
			t.Errorf("inherited %s listens on %s", ln.Addr(), nl.Addr())
		}
		_ = nl.Close()
	}
	if len(got) != 0 {
		t.Errorf("Listen left %d inherited sockets in the map", len(got))
	}
	// The original keeps listening after the inherited copy is closed.
	c, err := net.Dial("tcp", a.Addr().String())
	if err != nil {
		t.Fatalf("original listener gone: %v", err)
	}
	_ = c.Close()
}

// unixPair returns two connected unix stream sockets closed at the end.
func unixPair(t *testing.T) ([2]*net.UnixConn, error) {
	t.Helper()
	var out [2]*net.UnixConn
	p := t.TempDir() + "/pair.sock"
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
	if err != nil {
		return out, err
	}
	defer ul.Close()
	c0, err := net.DialUnix("unix", nil, ul.Addr().(*net.UnixAddr))
	if err != nil {
		return out, err
	}
	c1, err := ul.AcceptUnix()
	if err != nil {
		return out, err
	}
	t.Cleanup(func() { _ = c0.Close(); _ = c1.Close() })
	out[0], out[1] = c0, c1
	return out, nil
}

func TestListenInheritedWrongKind(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "notasocket")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Listen("x", map[string]*os.File{"x": f}); err == nil {
		t.Fatal("Listen accepted a regular file as a listener")
	}
}
