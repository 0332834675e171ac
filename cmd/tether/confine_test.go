package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestConfine runs tether with chroot, user and group, as the Debian
// configuration of haproxy does: once listening it runs in the new root as
// that user and group, every thread of it, and still proxies.
func TestConfine(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("chroot and setuid need root; CI runs as root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody here")
	}
	group, err := user.LookupGroupId(nobody.Gid)
	if err != nil {
		t.Skip("no group for nobody here")
	}
	dir := t.TempDir()
	bin := buildTether(t, dir)
	jail := filepath.Join(dir, "jail")
	if err := os.Mkdir(jail, 0o755); err != nil {
		t.Fatal(err)
	}
	origin, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(origin)
	defer srv.Close()
	port := freePort(t)
	cfg := fmt.Sprintf("global\n  chroot %s\n  user nobody\n  group %s\n"+
		"defaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n  timeout connect 5s\n"+
		"frontend fe\n  bind 127.0.0.1:%d\n  default_backend be\nbackend be\n  server s1 %s\n",
		jail, group.Name, port, origin.Addr())
	path := filepath.Join(dir, "t.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := startProcess(t, bin, "-f", path)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	waitUp(t, addr)
	pid := strconv.Itoa(cmd.Process.Pid)
	// Listening comes before confining, and the root changes before the
	// user: wait until both have changed (setuid is the last step).
	var root string
	for range 500 {
		root, _ = os.Readlink("/proc/" + pid + "/root")
		b, _ := os.ReadFile("/proc/" + pid + "/status")
		if root == jail && strings.Contains(string(b), "\nUid:\t"+nobody.Uid+"\t") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if root != jail {
		t.Fatalf("root directory %q, want %q", root, jail)
	}
	tasks, err := os.ReadDir("/proc/" + pid + "/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/" + pid + "/task/" + task.Name() + "/status")
		if err != nil {
			continue // the thread exited
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) == 5 && f[0] == "Uid:" && (f[1] != nobody.Uid || f[2] != nobody.Uid):
				t.Errorf("thread %s: %s, want uid %s", task.Name(), line, nobody.Uid)
			case len(f) == 5 && f[0] == "Gid:" && (f[1] != nobody.Gid || f[2] != nobody.Gid):
				t.Errorf("thread %s: %s, want gid %s", task.Name(), line, nobody.Gid)
			case len(f) > 0 && f[0] == "Groups:" && len(f) > 1:
				t.Errorf("thread %s: supplementary %s, want none", task.Name(), line)
			}
		}
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Errorf("through the confined proxy: %d %q", resp.StatusCode, body)
	}
}
