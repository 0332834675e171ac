package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// buildTether builds the binary into dir.
func buildTether(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "tether")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startProcess runs bin (tether or haproxy) and stops it when the test
// ends: SIGINT, then SIGKILL after 5 s.
func startProcess(t *testing.T, bin string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	// The child dies with this process, even if it is killed or times out.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { _, _ = cmd.Process.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	return cmd
}

func waitUp(t *testing.T, addr string) {
	t.Helper()
	for range 200 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never listened", addr)
}

func TestReloadUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildTether(t, dir)
	origin := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})}
	oln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = origin.Serve(oln) }()
	defer origin.Close()
	port := freePort(t)
	cfg := filepath.Join(dir, "t.cfg")
	sock := filepath.Join(dir, "admin.sock")
	pidFile := filepath.Join(dir, "pid")
	text := fmt.Sprintf(`global
  stats socket %s mode 600 level admin expose-fd listeners
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:%d
  default_backend be
backend be
  server s1 %s
`, sock, port, oln.Addr())
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	first := startProcess(t, bin, "-f", cfg, "-p", pidFile)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitUp(t, addr)

	var ok, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{DisableKeepAlives: i%2 == 0}
			defer tr.CloseIdleConnections()
			cl := &http.Client{Transport: tr, Timeout: 5 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := cl.Get("http://" + addr + "/")
				if err == nil {
					b, rerr := io.ReadAll(resp.Body)
					resp.Body.Close()
					if rerr == nil && string(b) == "ok" {
						ok.Add(1)
						continue
					}
					err = rerr
				}
				failed.Add(1)
				t.Logf("request failed: %v", err)
			}
		}()
	}
	prev := first
	for range 2 {
		time.Sleep(300 * time.Millisecond)
		next := startProcess(t, bin, "-f", cfg, "-p", pidFile, "-sf", fmt.Sprint(prev.Process.Pid))
		done := make(chan error, 1)
		go func() { _, err := prev.Process.Wait(); done <- err }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("old process did not stop after the reload")
		}
		prev = next
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() > 0 || ok.Load() < 100 {
		t.Fatalf("%d requests failed, %d succeeded", failed.Load(), ok.Load())
	}
	t.Logf("%d requests across two reloads, none failed", ok.Load())
	if b, err := os.ReadFile(pidFile); err != nil || !strings.Contains(string(b), fmt.Sprint(prev.Process.Pid)) {
		t.Fatalf("pid file %q, %v", b, err)
	}
}
