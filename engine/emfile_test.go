package engine

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// countFDs returns how many descriptors the process has open.
func countFDs(t *testing.T) uint64 {
	t.Helper()
	var n uint64
	for fd := range 1 << 16 {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			n++
		}
	}
	return n
}

// TestOutOfDescriptorsKeepsServing lowers RLIMIT_NOFILE under a running
// server until accepting fails with EMFILE, then raises it again: the
// engine must survive (gnet's own acceptor would shut it down) and serve
// the connections that waited in the queue.
func TestOutOfDescriptorsKeepsServing(t *testing.T) {
	_, lns := serve(t, Config{Loops: 1}, echoHandler{}, "127.0.0.1:0")
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	saved := rl
	defer func() { _ = unix.Setrlimit(unix.RLIMIT_NOFILE, &saved) }()

	c := dialT(t, lns[0].Addr())
	defer c.Close()
	roundTrip(t, c, "before")

	// Leave room for only a few more descriptors, then connect more
	// clients than that; the client sockets are opened first.
	var clients []net.Conn
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	for range 12 {
		clients = append(clients, dialT(t, lns[0].Addr()))
	}
	low := rl
	low.Cur = countFDs(t) + 4
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	for range 12 {
		cc, err := net.DialTimeout("tcp", lns[0].Addr().String(), time.Second)
		if err != nil {
			break // out of descriptors on the client side too
		}
		clients = append(clients, cc)
	}
	time.Sleep(200 * time.Millisecond) // let accept hit EMFILE and back off
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &saved); err != nil {
		t.Fatal(err)
	}
	// Clients that were queued are served; one caught between a successful
	// accept and gnet's dup of its socket may have been closed instead.
	served := 0
	for i, cc := range clients {
		_ = cc.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := cc.Write([]byte("queued")); err != nil {
			t.Logf("client %d: %v", i, err)
			continue
		}
		buf := make([]byte, 6)
		if _, err := io.ReadFull(cc, buf); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("client %d hangs", i)
			}
			t.Logf("client %d: %v", i, err)
			continue
		}
		served++
	}
	if served < 12 {
		t.Fatalf("only %d of %d clients served", served, len(clients))
	}
	if got := roundTrip(t, c, "after"); got != "after" {
		t.Fatalf("first client got %q", got)
	}
	fresh := dialT(t, lns[0].Addr())
	defer fresh.Close()
	if got := roundTrip(t, fresh, "fresh"); got != "fresh" {
		t.Fatalf("new client got %q", got)
	}
}
