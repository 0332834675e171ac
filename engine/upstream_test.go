package engine

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitErr receives from ch within d.
func waitErr(t *testing.T, ch <-chan error, d time.Duration) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(d):
		t.Fatalf("no result within %v", d)
		return nil
	}
}

func TestDialAndTunnelEcho(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		dial dialer
	}{{"connect", dialConnect}, {"enroll", dialEnroll}, {"register", dialRegister}} {
		t.Run(tc.name, func(t *testing.T) {
			o := startOrigin(t, echoOrigin)
			h := &relayHandler{addr: o.addr(), timeout: time.Second, dial: tc.dial, connects: make(chan error, 4)}
			_, lns := serve(t, Config{Loops: 2}, h, "127.0.0.1:0")
			c := dialT(t, lns[0].Addr())
			defer c.Close()
			if _, err := c.Write([]byte("early ")); err != nil { // sent before the dial completes
				t.Fatal(err)
			}
			if err := waitErr(t, h.connects, 5*time.Second); err != nil {
				t.Fatalf("OnConnect: %v", err)
			}
			if _, err := c.Write([]byte("late")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, len("early late"))
			if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "early late" {
				t.Fatalf("echo %q, %v; want %q", buf, err, "early late")
			}
		})
	}
}

// refusing returns the address of a TCP socket bound on 127.0.0.1 that
// never listens: a connect to it is refused. The port stays bound, so no
// other socket of the machine (a listener, or a connect's local port) can
// take it, until the returned close is called.
func refusing() (addr *net.TCPAddr, close func()) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		panic(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		panic(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		panic(err)
	}
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*unix.SockaddrInet4).Port}, func() { _ = unix.Close(fd) }
}

func TestDialRefused(t *testing.T) {
	t.Parallel()
	addr, closeAddr := refusing()
	t.Cleanup(closeAddr)
	for _, tc := range []struct {
		name string
		dial dialer
	}{{"connect", dialConnect}, {"enroll", dialEnroll}, {"register", dialRegister}} {
		t.Run(tc.name, func(t *testing.T) {
			h := &relayHandler{addr: addr, timeout: time.Second, dial: tc.dial, connects: make(chan error, 4)}
			s, lns := serve(t, Config{Loops: 1}, h, "127.0.0.1:0")
			c := dialT(t, lns[0].Addr())
			defer c.Close()
			if err := waitErr(t, h.connects, 5*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("OnConnect error %v, want ECONNREFUSED", err)
			}
			if _, err := c.Read(make([]byte, 1)); err == nil {
				t.Fatal("client not closed after the refused dial")
			}
			if !within(2*time.Second, func() bool { return s.fds.Load() == 0 }) {
				t.Errorf("%d sockets counted after everything closed", s.fds.Load())
			}
		})
	}
}

// blackhole returns the address of a listener whose accept queue is full,
// so that a further connect gets no answer to its SYN.
func blackhole(t *testing.T) *net.TCPAddr {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*unix.SockaddrInet4).Port}
	for i := 0; ; i++ { // fill the queue until a connect hangs
		c, err := net.DialTimeout("tcp4", addr.String(), 200*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { _ = c.Close() })
		if i > 16 {
			t.Skip("cannot fill a listen queue here")
		}
	}
}

func TestDialTimeout(t *testing.T) {
	t.Parallel()
	addr := blackhole(t)
	h := &relayHandler{addr: addr, timeout: 150 * time.Millisecond, connects: make(chan error, 4)}
	s, lns := serve(t, Config{Loops: 1}, h, "127.0.0.1:0")
	c := dialT(t, lns[0].Addr())
	defer c.Close()
	start := time.Now()
	if err := waitErr(t, h.connects, 5*time.Second); !errors.Is(err, ErrConnectTimeout) {
		t.Fatalf("OnConnect error %v, want ErrConnectTimeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timeout took %v", d)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("client not closed after the timeout")
	}
	select { // the abandoned dial reports nothing more
	case err := <-h.connects:
		t.Fatalf("second OnConnect: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if !within(2*time.Second, func() bool { return s.fds.Load() == 0 }) {
		t.Errorf("%d sockets counted after everything closed", s.fds.Load())
	}
}

func TestDialIPv6(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback here")
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { echoOrigin(c); _ = c.Close() }()
		}
	}()
	defer ln.Close()
	h := &relayHandler{addr: ln.Addr().(*net.TCPAddr), timeout: time.Second, connects: make(chan error, 1)}
	_, lns := serve(t, Config{Loops: 1}, h, "127.0.0.1:0")
	c := dialT(t, lns[0].Addr())
	defer c.Close()
	if err := waitErr(t, h.connects, 5*time.Second); err != nil {
		t.Fatalf("OnConnect: %v", err)
	}
	if got := roundTrip(t, c, "six"); got != "six" {
		t.Fatalf("echo %q", got)
	}
}
