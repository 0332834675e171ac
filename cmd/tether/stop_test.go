package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestGracefulStopWaits: a graceful stop (SIGUSR1) waits for a request in
// flight as long as it takes, as HAProxy's soft stop does, unless
// hard-stop-after bounds the wait.
func TestGracefulStopWaits(t *testing.T) {
	dir := t.TempDir()
	bin := buildTether(t, dir)
	for _, bound := range []string{"", "hard-stop-after 300ms"} {
		t.Run(strconv.Quote(bound), func(t *testing.T) {
			// An origin that answers only when told to.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			answer := make(chan struct{})
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				<-answer
				fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}()
			port := freePort(t)
			cfg := fmt.Sprintf("global\n  %s\ndefaults\n  mode http\n  timeout client 20s\n  timeout server 20s\n  timeout connect 5s\n"+
				"frontend fe\n  bind 127.0.0.1:%d\n  default_backend be\nbackend be\n  server s1 %s\n", bound, port, ln.Addr())
			path := filepath.Join(dir, "t.cfg")
			if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := startProcess(t, bin, "-f", path)
			exited := make(chan struct{})
			go func() { _, _ = cmd.Process.Wait(); close(exited) }()
			addr := "127.0.0.1:" + strconv.Itoa(port)
			waitUp(t, addr)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			time.Sleep(200 * time.Millisecond) // the request reaches the origin
			_ = cmd.Process.Signal(syscall.SIGUSR1)
			select {
			case <-exited:
				if bound == "" {
					t.Fatal("tether exited with a request in flight")
				}
				return // hard-stop-after cut it
			case <-time.After(2 * time.Second):
				if bound != "" {
					t.Fatal("tether still runs 2s after a stop bounded by hard-stop-after 300ms")
				}
			}
			close(answer)
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || line != "HTTP/1.1 200 OK\r\n" {
				t.Fatalf("the request in flight got %q, %v", line, err)
			}
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				t.Fatal("tether still runs after its last request")
			}
		})
	}
}

// TestUlimitN: `ulimit-n` sets the descriptor limit, soft and hard.
func TestUlimitN(t *testing.T) {
	dir := t.TempDir()
	bin := buildTether(t, dir)
	port := freePort(t)
	cfg := fmt.Sprintf("global\n  ulimit-n 4321\ndefaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n  timeout connect 5s\n"+
		"frontend fe\n  bind 127.0.0.1:%d\n  default_backend be\nbackend be\n  server s1 127.0.0.1:1\n", port)
	path := filepath.Join(dir, "t.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := startProcess(t, bin, "-f", path)
	waitUp(t, "127.0.0.1:"+strconv.Itoa(port))
	b, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/limits")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 5 && f[0] == "Max" && f[1] == "open" && f[2] == "files" {
			if f[3] != "4321" || f[4] != "4321" {
				t.Errorf("descriptor limit %s / %s, want 4321 / 4321", f[3], f[4])
			}
			return
		}
	}
	t.Errorf("no open files limit in %s", b)
}
