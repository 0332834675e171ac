package engine

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestServeSeveralListeners(t *testing.T) {
	binds := []string{"127.0.0.1:0", "ipv4@127.0.0.1:0"}
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		_ = ln.Close()
		binds = append(binds, "[::1]:0")
	}
	s, lns := serve(t, Config{Loops: 2}, echoHandler{}, binds...)
	for _, ln := range lns {
		for i := range 3 {
			c := dialT(t, ln.Addr())
			msg := ln.Name + string(rune('a'+i))
			if got := roundTrip(t, c, msg); got != msg {
				t.Errorf("%s: echo %q, want %q", ln.Name, got, msg)
			}
			_ = c.Close()
		}
	}
	if !within(2*time.Second, func() bool { return s.Clients() == 0 }) {
		t.Errorf("Clients() = %d after all closed, want 0", s.Clients())
	}
}

func TestMaxConnClosesExtraClients(t *testing.T) {
	s, lns := serve(t, Config{Loops: 2, MaxConn: 2}, echoHandler{}, "127.0.0.1:0")
	if s.MaxConn() != 2 {
		t.Fatalf("MaxConn() = %d", s.MaxConn())
	}
	a, b := dialT(t, lns[0].Addr()), dialT(t, lns[0].Addr())
	defer a.Close()
	defer b.Close()
	roundTrip(t, a, "a")
	roundTrip(t, b, "b")
	c := dialT(t, lns[0].Addr())
	defer c.Close()
	_, _ = c.Write([]byte("c"))
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatalf("third client read %d bytes, want it closed", n)
	}
	if got := s.Clients(); got != 2 {
		t.Errorf("Clients() = %d, want 2", got)
	}
	_ = a.Close()
	if !within(2*time.Second, func() bool { return s.Clients() == 1 }) {
		t.Fatalf("Clients() = %d after one left, want 1", s.Clients())
	}
	d := dialT(t, lns[0].Addr())
	defer d.Close()
	if got := roundTrip(t, d, "d"); got != "d" {
		t.Errorf("echo after a slot freed = %q", got)
	}
}

func TestShutdownWaitsForClients(t *testing.T) {
	s, lns := serve(t, Config{Loops: 1}, echoHandler{}, "127.0.0.1:0")
	c := dialT(t, lns[0].Addr())
	roundTrip(t, c, "x")
	if s.Draining() {
		t.Fatal("Draining before Shutdown")
	}
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(t.Context()) }()
	if !within(time.Second, s.Draining) {
		t.Fatal("not Draining after Shutdown began")
	}
	if !within(2*time.Second, func() bool {
		probe, err := net.DialTimeout("tcp", lns[0].Addr().String(), 100*time.Millisecond)
		if err != nil {
			return true
		}
		_ = probe.Close() // accepted before the listener closed: served, then gone
		return false
	}) {
		t.Fatal("listener still accepts after Shutdown began")
	}
	if got := roundTrip(t, c, "busy"); got != "busy" {
		t.Errorf("in-flight client got %q", got)
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v with a client open", err)
	case <-time.After(50 * time.Millisecond):
	}
	_ = c.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return after the last client left")
	}
}

// TestServeLeavesNoSocketFile: gnet's own listening socket is unlinked once
// bound; nothing is created in the working directory.
func TestServeLeavesNoSocketFile(t *testing.T) {
	before, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := serve(t, Config{Loops: 1}, echoHandler{}, "127.0.0.1:0")
	if s.internal == "" {
		t.Fatal("no internal socket directory recorded")
	}
	if _, err := os.Stat(s.internal); !os.IsNotExist(err) {
		t.Errorf("internal socket directory %s still there: %v", s.internal, err)
	}
	after, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("the working directory went from %d to %d entries", len(before), len(after))
	}
}

// TestServeWithoutTempDir: with no usable temporary directory, gnet's
// own listener is a loopback port, and serving works the same.
func TestServeWithoutTempDir(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	s, lns := serve(t, Config{Loops: 1}, echoHandler{}, "127.0.0.1:0")
	if s.internal != "" {
		t.Errorf("internal socket directory %q made under a missing TMPDIR", s.internal)
	}
	c := dialT(t, lns[0].Addr())
	defer c.Close()
	if got := roundTrip(t, c, "x"); got != "x" {
		t.Errorf("echo %q", got)
	}
}
