package runtime

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestUnixSocket(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tether.sock")
	// A stale file at the path is replaced.
	if err := os.WriteFile(path, []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := NewSocketSpec("unix@" + path)
	if err != nil {
		t.Fatal(err)
	}
	spec.Level = LevelAdmin
	spec.Mode = 0o600
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		uid, gid = 65534, 65534 // nobody: root may give the socket away
	}
	spec.UID, spec.GID = uid, gid
	spec.ExposeFDListeners = true
	srv, err := Listen(spec, newFake())
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Spec(); !got.ExposeFDListeners || got.Level != LevelAdmin || got.Timeout != DefaultTimeout {
		t.Errorf("Spec() = %+v", got)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 || int(st.Uid) != uid || int(st.Gid) != gid {
		t.Errorf("socket file: mode %v uid %d gid %d, want socket 0600 %d:%d", fi.Mode(), st.Uid, st.Gid, uid, gid)
	}
	if got := exchange(t, "unix", path, "show cli level;show backend\n"); got != "admin\n\n# name\nbk\nst\nls\n\n" {
		t.Errorf("got %q", got)
	}
	if matches, _ := filepath.Glob(path + ".*"); len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file still there after Close: %v", err)
	}
}

func TestUnixSocketReplacedIsKept(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s")
	spec, _ := NewSocketSpec(path)
	old, err := Listen(spec, newFake())
	if err != nil {
		t.Fatal(err)
	}
	// A new process (here a second server) takes the path over, as on
	// reload: closing the old one must not remove the new socket.
	cur, err := Listen(spec, newFake())
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	old.Close()
	if got := exchange(t, "unix", path, "show cli level\n"); got != "operator\n\n" {
		t.Errorf("new socket after the old one closed: %q", got)
	}
}

func TestListenErrors(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"abns@x", "ipv4@127.0.0.1", "unix@", "ipv4@nope"} {
		if _, err := NewSocketSpec(addr); !errors.Is(err, ErrAddr) {
			t.Errorf("%q: %v, want ErrAddr", addr, err)
		}
	}
	spec, _ := NewSocketSpec(filepath.Join(t.TempDir(), "no", "such", "dir", "s"))
	if _, err := Listen(spec, newFake()); err == nil {
		t.Error("listening in a missing directory succeeded")
	}
}

func TestParseTarget(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]string{
		"ipv4@127.0.0.1:9999": {"tcp4", "127.0.0.1:9999"},
		"ipv6@[::1]:9999":     {"tcp6", "[::1]:9999"},
		"ipv6@::1:9999":       {"tcp6", "[::1]:9999"},
		"[::1]:9999":          {"tcp6", "[::1]:9999"},
		"tcp@localhost:1":     {"tcp", "localhost:1"},
		"ipv6@localhost:1":    {"tcp6", "localhost:1"},
		"127.0.0.1:9999":      {"tcp4", "127.0.0.1:9999"},
		"unix@/run/t.sock":    {"unix", "/run/t.sock"},
		"/run/t.sock":         {"unix", "/run/t.sock"},
		"unix@./t.sock":       {"unix", "./t.sock"},
		"./t.sock":            {"unix", "./t.sock"},
		"../run/t.sock":       {"unix", "../run/t.sock"},
	} {
		tg, err := ParseTarget(in)
		if err != nil || tg.Name != in || tg.Network != want[0] || tg.Address != want[1] {
			t.Errorf("%q: %+v %v, want %q", in, tg, err, want)
		}
	}
	for _, in := range []string{"", "127.0.0.1", "localhost:+1", "*:9999", "abns@x", "unix@"} {
		if tg, err := ParseTarget(in); !errors.Is(err, ErrAddr) {
			t.Errorf("%q: %+v %v, want ErrAddr", in, tg, err)
		}
	}
}

func TestIPv6Socket(t *testing.T) {
	t.Parallel()
	spec, _ := NewSocketSpec("ipv6@[::1]:0")
	srv, err := Listen(spec, newFake())
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer srv.Close()
	if got := exchange(t, "tcp6", srv.Addr().String(), "show cli level\n"); got != "operator\n\n" {
		t.Errorf("got %q", got)
	}
}

// TestMappedSocket: a stats socket on an IPv4-mapped IPv6 address takes
// IPv4 connections to that address, as HAProxy's does.
func TestMappedSocket(t *testing.T) {
	t.Parallel()
	srv := serveAt(t, "[::ffff:127.0.0.1]:0", newFake(), nil)
	if got := exchange(t, "tcp4", srv.Addr().String(), "show cli level\n"); got != "operator\n\n" {
		t.Errorf("got %q", got)
	}
}

// TestReplyAfterChange checks that the reply to a mutating command is sent
// only once the Control call has returned.
func TestReplyAfterChange(t *testing.T) {
	t.Parallel()
	f := newFake()
	f.block = make(chan struct{})
	srv := startServer(t, LevelAdmin, f)
	c := dial(t, "tcp", srv.Addr().String())
	io.WriteString(c, "set server bk/s1 state drain\n")
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	buf := make([]byte, 16)
	if n, err := c.Read(buf); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("reply before the change: %q, %v", buf[:n], err)
	}
	close(f.block)
	c.SetReadDeadline(time.Now().Add(ioTimeout))
	if got, err := io.ReadAll(c); err != nil || string(got) != "\n" {
		t.Fatalf("reply after the change: %q, %v", got, err)
	}
}

// TestCloseFinishesInFlight checks Close: a command being executed
// completes and its reply is sent; an interactive session waiting for input
// ends; new connections are refused.
func TestCloseFinishesInFlight(t *testing.T) {
	t.Parallel()
	f := newFake()
	f.block = make(chan struct{})
	f.entered = make(chan struct{}, 1)
	srv := startServer(t, LevelAdmin, f)
	addr := srv.Addr().String()

	idle := dial(t, "tcp", addr)
	io.WriteString(idle, "prompt\n")
	if got := make([]byte, 3); func() bool { _, err := io.ReadFull(idle, got); return err != nil || string(got) != "\n> " }() {
		t.Fatal("no prompt")
	}

	busy := dial(t, "tcp", addr)
	io.WriteString(busy, "set server bk/s1 state maint\n")
	select {
	case <-f.entered:
	case <-time.After(ioTimeout):
		t.Fatal("command never reached the Control call")
	}
	closed := make(chan error)
	go func() { closed <- srv.Close() }()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a command was in flight", err)
	default:
	}
	close(f.block)
	if got, err := io.ReadAll(busy); err != nil || string(got) != "\n" {
		t.Errorf("in-flight reply: %q, %v", got, err)
	}
	if got, err := io.ReadAll(idle); err != nil || len(got) != 0 {
		t.Errorf("idle session: %q, %v", got, err)
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(ioTimeout):
		t.Fatal("Close did not return")
	}
	if c, err := net.DialTimeout("tcp", addr, ioTimeout); err == nil {
		c.Close()
		t.Error("connection accepted after Close")
	}
	if calls := f.takeCalls(); len(calls) != 1 {
		t.Errorf("calls: %q", calls)
	}
}

// TestMaxConn checks that sessions beyond MaxConn wait in the backlog until
// one ends.
func TestMaxConn(t *testing.T) {
	t.Parallel()
	srv := serveAt(t, "127.0.0.1:0", newFake(), func(spec *SocketSpec) { spec.MaxConn = 1 })
	addr := srv.Addr().String()
	first := dial(t, "tcp", addr)
	io.WriteString(first, "prompt\n")
	io.ReadFull(first, make([]byte, 3))

	second := dial(t, "tcp", addr)
	io.WriteString(second, "show cli level\n")
	second.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := second.Read(make([]byte, 16)); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("second session served while the first holds the only slot: %d, %v", n, err)
	}
	io.WriteString(first, "quit\n")
	second.SetReadDeadline(time.Now().Add(ioTimeout))
	if got, err := io.ReadAll(second); err != nil || string(got) != "operator\n\n" {
		t.Fatalf("second session after the first quit: %q, %v", got, err)
	}
}

// TestListenDuringReload binds a TCP stats socket where another process's
// (here another server's) still listens, as a new process does during a
// reload, and serves it once the old one is gone.
func TestListenDuringReload(t *testing.T) {
	t.Parallel()
	old := startServer(t, LevelAdmin, newFake())
	spec, err := NewSocketSpec("ipv4@" + old.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	spec.Level = LevelUser
	srv, err := Listen(spec, newFake())
	if err != nil {
		t.Fatalf("binding the old process's stats port: %v", err)
	}
	defer srv.Close()
	old.Close()
	if got := tcpExchange(t, srv, "show cli level\n"); got != "user\n\n" {
		t.Errorf("after the old socket closed: %q", got)
	}
}
