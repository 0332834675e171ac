package engine

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// TestTunnelBoundedMemory pushes streamSize bytes each way at once through a tunnel
// whose readers are slower than its writers, and checks that the heap does
// not grow with the volume.
func TestTunnelBoundedMemory(t *testing.T) {
	const size = streamSize
	const chunk, pause = 256 << 10, time.Millisecond // readers take at most ~256 MB/s
	var originErr error
	originDone := make(chan struct{})
	o := startOrigin(t, func(c net.Conn) {
		defer close(originDone)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := sendPattern(c, size); err != nil {
				originErr = err
			}
			_ = c.(*net.TCPConn).CloseWrite()
		}()
		if err := readPattern(c, size, chunk, pause); err != nil {
			originErr = err
		}
		wg.Wait()
	})
	h := &relayHandler{addr: o.addr(), timeout: time.Second, idle: 10 * time.Second, ended: make(chan error, 1)}
	s, lns := serve(t, Config{Loops: 2}, h, "127.0.0.1:0")
	c := dialT(t, lns[0].Addr())
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute)) // slow on a loaded machine, never stuck
	stop := memPeak()
	start := time.Now()
	var wg sync.WaitGroup
	var sendErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		sendErr = sendPattern(c, size)
		_ = c.(*net.TCPConn).CloseWrite()
	}()
	readErr := readPattern(c, size, chunk, pause)
	wg.Wait()
	elapsed := time.Since(start)
	heap, rss := stop()
	if sendErr != nil || readErr != nil {
		t.Fatalf("client: send %v, read %v", sendErr, readErr)
	}
	if err := waitErr(t, h.ended, 5*time.Second); err != nil {
		t.Errorf("tunnel ended with %v", err)
	}
	select {
	case <-originDone:
	case <-time.After(10 * time.Second):
		t.Fatal("origin did not finish reading")
	}
	if originErr != nil {
		t.Fatalf("origin: %v", originErr)
	}
	t.Logf("2 x %d MiB in %v (%.0f MB/s each way); peak growth: heap %d KiB, VmRSS %d KiB",
		size>>20, elapsed.Round(time.Millisecond), float64(size)/elapsed.Seconds()/1e6, heap>>10, rss>>10)
	if heap > 64<<20 {
		t.Errorf("heap grew by %d MiB moving 2 x %d MiB", heap>>20, size>>20)
	}
	if !within(2*time.Second, func() bool { return s.fds.Load() == 0 && s.Clients() == 0 }) {
		t.Errorf("counts after the tunnel: %d sockets, %d clients", s.fds.Load(), s.Clients())
	}
}

func TestTunnelHalfCloseAndTimeout(t *testing.T) {
	t.Parallel()
	// The origin answers, says goodbye once the client has shut its write
	// side, then stays silent with the connection open.
	quit := make(chan struct{})
	o := startOrigin(t, func(c net.Conn) {
		b := make([]byte, 4)
		if _, err := io.ReadFull(c, b); err != nil {
			return
		}
		_, _ = c.Write(append([]byte("got "), b...))
		if n, _ := io.Copy(io.Discard, c); n == 0 {
			_, _ = c.Write([]byte("bye"))
		}
		<-quit
	})
	t.Cleanup(func() { close(quit) })
	h := &relayHandler{addr: o.addr(), timeout: time.Second, idle: 300 * time.Millisecond, ended: make(chan error, 1)}
	_, lns := serve(t, Config{Loops: 1}, h, "127.0.0.1:0")
	c := dialT(t, lns[0].Addr())
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "got ping" {
		t.Fatalf("read %q, %v", buf, err)
	}
	// gnet closes a connection whose peer shuts its write side, so a half
	// close passes only once the tunnel has left the loop: it has by now,
	// a round trip after it started.
	_ = c.(*net.TCPConn).CloseWrite()
	if _, err := io.ReadFull(c, buf[:3]); err != nil || string(buf[:3]) != "bye" {
		t.Fatalf("after the half close read %q, %v", buf[:3], err)
	}
	start := time.Now()
	if err := waitErr(t, h.ended, 5*time.Second); !errors.Is(err, ErrTunnelTimeout) {
		t.Fatalf("tunnel ended with %v, want ErrTunnelTimeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timeout after %v", d)
	}
	if n, err := c.Read(buf); err == nil {
		t.Errorf("client still open after the timeout (read %d)", n)
	}
}

func TestStopEndsTunnels(t *testing.T) {
	t.Parallel()
	o := startOrigin(t, echoOrigin)
	h := &relayHandler{addr: o.addr(), timeout: time.Second, idle: time.Minute, ended: make(chan error, 1)}
	s, lns := serve(t, Config{Loops: 1}, h, "127.0.0.1:0")
	c := dialT(t, lns[0].Addr())
	defer c.Close()
	if got := roundTrip(t, c, "hi"); got != "hi" {
		t.Fatalf("echo %q", got)
	}
	if !within(2*time.Second, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for tn := range s.tunnels {
			tn.mu.Lock()
			relaying := tn.conns[0] != nil
			tn.mu.Unlock()
			return relaying
		}
		return false
	}) {
		t.Fatal("tunnel never left the loop")
	}
	if err := s.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("client still open after Stop")
	}
	select {
	case <-h.ended:
	case <-time.After(5 * time.Second):
		t.Fatal("tunnel's done never ran after Stop")
	}
}
