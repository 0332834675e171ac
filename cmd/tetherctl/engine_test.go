package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// build compiles the package at dir into the test's temporary directory.
func build(t *testing.T, dir, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command("go", "build", "-o", bin, dir).CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", dir, err, out)
	}
	return bin
}

// freePort returns a port of 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startOrigin runs an HTTP server on 127.0.0.1 answering with its name in
// x-server, and returns its address.
func startOrigin(t *testing.T, name string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Server", name)
			io.WriteString(w, name)
		})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// instance is one tether process of the fleet.
type instance struct {
	front string // frontend address
	sock  string // admin stats socket, as tetherctl takes it
}

// startInstance runs tetherd on cfg and stops it at the end of the test.
func startInstance(t *testing.T, tetherd, cfg string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tether.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tetherd, path)
	// The child dies with this process, even if it is killed or times out.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close() // tetherd stops when its input closes
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if line != "ready\n" {
			cmd.Process.Signal(syscall.SIGTERM)
			t.Fatalf("tetherd: %q\n%s", line, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("tetherd did not start\n%s", stderr.String())
	}
}

// fleetConfig renders an instance's configuration: an admin stats socket
// (TCP, or unix at unixPath when set), a frontend on port front, and backend
// bk with dynamic cookies under key over servers s1 and s2.
func fleetConfig(stats int, unixPath string, front int, key, s1, s2 string) string {
	sock := fmt.Sprintf("ipv4@127.0.0.1:%d", stats)
	if unixPath != "" {
		sock = unixPath + " mode 600"
	}
	return fmt.Sprintf(`global
    stats socket %s level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:%d
    default_backend bk
backend bk
    balance roundrobin
    cookie SRVID insert indirect nocache dynamic
    dynamic-cookie-key %s
    server s1 %s
    server s2 %s
`, sock, front, key, s1, s2)
}

// fetch sends GET / to a frontend with the cookie (none when empty) and
// returns the server that answered and the SRVID value set, if any.
func fetch(t *testing.T, front, cookie string) (server, set string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+front+"/", nil)
	if cookie != "" {
		req.Header.Set("Cookie", "SRVID="+cookie)
	}
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "SRVID" {
			set = ck.Value
		}
	}
	return resp.Header.Get("X-Server"), set
}

// ctl runs tetherctl and returns its output and exit status.
func ctl(t *testing.T, bin, stdin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return string(out), 0
}

// TestFleetEngines drives two tether engines (separate processes) through
// their runtime sockets, one TCP and one unix, as one fleet: changes reach
// both before tetherctl returns, as traffic through each shows, and a
// shared dynamic-cookie key makes a cookie from one instance valid on the
// other.
func TestFleetEngines(t *testing.T) {
	tetherctl := build(t, ".", "tetherctl")
	tetherd := build(t, "./testdata/tetherd", "tetherd")
	s1, s2 := startOrigin(t, "s1"), startOrigin(t, "s2")

	statsA, frontA, frontB := freePort(t), freePort(t), freePort(t)
	a := instance{front: "127.0.0.1:" + strconv.Itoa(frontA), sock: "ipv4@127.0.0.1:" + strconv.Itoa(statsA)}
	startInstance(t, tetherd, fleetConfig(statsA, "", frontA, "key-a", s1, s2))
	b := instance{front: "127.0.0.1:" + strconv.Itoa(frontB), sock: filepath.Join(t.TempDir(), "b.sock")}
	startInstance(t, tetherd, fleetConfig(0, b.sock, frontB, "key-b", s1, s2))
	if fi, err := os.Stat(b.sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("unix stats socket: %v, %v; want mode 600", fi, err)
	}
	fleet := []string{"-s", a.sock, "-s", b.sock}
	A, B := a.sock+": ", b.sock+": "

	cookieOn := func(in instance, name string) string {
		t.Helper()
		for range 10 {
			if srv, set := fetch(t, in.front, ""); srv == name && set != "" {
				return set
			}
		}
		t.Fatalf("%s never answered through %s", name, in.front)
		return ""
	}

	// Different keys: an instance's cookie means nothing to the other.
	c1 := cookieOn(a, "s1")
	if _, set := fetch(t, b.front, c1); set == "" {
		t.Fatalf("B honoured A's cookie %s under another key", c1)
	}

	if out, code := ctl(t, tetherctl, "", append(fleet, "set dynamic-cookie-key backend bk shared")...); code != 0 || out != "" {
		t.Fatalf("set key on the fleet: exit %d, %q", code, out)
	}
	c1 = cookieOn(a, "s1")
	if srv, set := fetch(t, b.front, c1); srv != "s1" || set != "" {
		t.Errorf("A's cookie on B after the shared key: %s, Set-Cookie %q; want s1, none", srv, set)
	}

	out, code := ctl(t, tetherctl, "set server bk/s1 state drain\nget weight bk/s1\nshow servers state bk\n", append(fleet, "-")...)
	if code != 0 {
		t.Fatalf("drain from stdin: exit %d\n%s", code, out)
	}
	for _, p := range []string{A, B} {
		if !strings.Contains(out, p+"1 (initial 1)\n") || !strings.Contains(out, "\n"+p+"3 bk 1 s1 127.0.0.1 2 8 1 1 ") {
			t.Errorf("replies of %s lack the drained state:\n%s", p, out)
		}
	}
	for _, in := range []instance{a, b} {
		for range 4 {
			if srv, _ := fetch(t, in.front, ""); srv != "s2" {
				t.Errorf("drained s1 took a new request through %s (%s)", in.front, srv)
			}
		}
		if srv, set := fetch(t, in.front, c1); srv != "s1" || set != "" {
			t.Errorf("s1's cookie through drained %s: %s, Set-Cookie %q", in.front, srv, set)
		}
	}

	out, code = ctl(t, tetherctl, "", append(fleet, "set server bk/s9 state ready")...)
	if code != 1 || out != A+"No such server.\n"+B+"No such server.\n" {
		t.Errorf("error reply: exit %d, %q", code, out)
	}

	script := filepath.Join(t.TempDir(), "script")
	os.WriteFile(script, []byte("# back to normal\nset server bk/s1 state ready\nshow stat bk 4 1\n"), 0o644)
	out, code = ctl(t, tetherctl, "", append(fleet, "-f", script)...)
	if code != 0 || strings.Count(out, ",s1,") != 2 || strings.Count(out, ",no check,") != 2 {
		t.Errorf("script: exit %d\n%s", code, out)
	}
	seen := map[string]bool{}
	for range 4 {
		srv, _ := fetch(t, b.front, "")
		seen[srv] = true
	}
	if !seen["s1"] || !seen["s2"] {
		t.Errorf("after ready, new requests through B went to %v", seen)
	}
}
