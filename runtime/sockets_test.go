package runtime

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestListenAll starts the stats sockets of a configuration against an
// engine: each at its level, the unix one with its mode, owner and group,
// every session with the stats timeout.
func TestListenAll(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("giving a socket file to another user needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody to give the socket to")
	}
	group, err := user.LookupGroupId(nobody.Gid)
	if err != nil {
		t.Skip("no group for user nobody")
	}
	o := startOrigin(t, "s1")
	path := filepath.Join(t.TempDir(), "tether.sock")
	p := freePorts(t, 3)
	tt := startTether(t, fmt.Sprintf(`global
    stats socket %s mode 640 user nobody group %s level user
    stats socket ipv4@127.0.0.1:%d
    stats socket 127.0.0.1:%d level admin
    stats timeout 300ms
defaults
    mode http
frontend fe
    bind 127.0.0.1:%d
    default_backend bk
backend bk
    server s1 %s
`, path, group.Name, p[0], p[1], p[2], o.addr))

	for i, want := range []string{"user", "operator", "admin"} {
		network, addr := "tcp", tt.sockets.Servers[i].Addr().String()
		if i == 0 {
			network = "unix"
		}
		if got := exchange(t, network, addr, "show cli level\n"); got != want+"\n\n" {
			t.Errorf("socket %d: level %q, want %s", i, got, want)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o640 || strconv.Itoa(int(st.Uid)) != nobody.Uid || strconv.Itoa(int(st.Gid)) != nobody.Gid {
		t.Errorf("socket file mode %v owner %d:%d, want 0640 %s:%s", fi.Mode().Perm(), st.Uid, st.Gid, nobody.Uid, nobody.Gid)
	}

	c := dial(t, "tcp", tt.socket(2))
	start := time.Now()
	c.Write([]byte("prompt\n"))
	buf := make([]byte, 64)
	c.Read(buf) // the prompt
	if _, err := c.Read(buf); err == nil || time.Since(start) < 250*time.Millisecond || time.Since(start) > 3*time.Second {
		t.Errorf("an idle prompt session stayed open %v (err %v), want closed after the 300ms stats timeout", time.Since(start), err)
	}
}
