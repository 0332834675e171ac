package engine

import (
	"errors"
	"net"
	"os"
	"testing"

	"tether/engine/config"
)

// bindAddr returns the listening address s (port 0 allowed) as the
// configuration gives it to Listen.
func bindAddr(t testing.TB, s string) config.ListenAddr {
	t.Helper()
	a, err := config.ParseListenAddr(s)
	if err != nil {
		t.Fatalf("bind address %q: %v", s, err)
	}
	return a
}

func TestListen(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"127.0.0.1:0", "ipv4@127.0.0.1:0", "[::ffff:127.0.0.1]:0"} {
		ln, err := Listen(bindAddr(t, in), nil)
		if err != nil {
			t.Fatalf("Listen(%q): %v", in, err)
		}
		if ln.Name != in {
			t.Errorf("Listen(%q) named %q", in, ln.Name)
		}
		addr := ln.Addr().(*net.TCPAddr)
		if ip := addr.IP.To4(); ip == nil || !ip.Equal(net.IPv4(127, 0, 0, 1)) || addr.Port == 0 {
			t.Errorf("Listen(%q) bound %s", in, addr)
		}
		c, err := net.Dial("tcp4", addr.String())
		if err != nil {
			t.Errorf("dial %q: %v", in, err)
		} else {
			_ = c.Close()
		}
		_ = ln.Close()
	}
	if _, err := Listen(bindAddr(t, "unix@"+t.TempDir()+"/s"), nil); !errors.Is(err, ErrBind) {
		t.Errorf("Listen on a unix address: %v, want ErrBind", err)
	}
	if _, err := Listen(config.ListenAddr{Name: "x"}, nil); !errors.Is(err, ErrBind) {
		t.Errorf("Listen without an address: %v, want ErrBind", err)
	}
}

func TestHandoverInProcess(t *testing.T) {
	t.Parallel()
	a, err := Listen(bindAddr(t, "127.0.0.1:0"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	lns := []*Listener{a}
	if l6, err := Listen(bindAddr(t, "[::1]:0"), nil); err == nil {
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
		nl, err := Listen(config.ListenAddr{Name: ln.Name}, got)
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
	t.Parallel()
	f, err := os.CreateTemp(t.TempDir(), "notasocket")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(config.ListenAddr{Name: "x"}, map[string]*os.File{"x": f}); err == nil {
		t.Fatal("Listen accepted a regular file as a listener")
	}
}
