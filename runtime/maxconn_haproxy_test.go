package runtime

import (
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDifferentialSetMaxconn changes limits with `set maxconn frontend`
// and `set maxconn global` on haproxy 2.6 and tether and requires the same
// replies and the same slim columns and Maxconn lines; then that a client
// over a frontend's maxconn waits until it is raised.
func TestDifferentialSetMaxconn(t *testing.T) {
	t.Parallel()
	o := startOrigin(t, "s1")
	pr := startLogged(t, 2, func(stats int, fronts []int, log net.Addr) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
    maxconn 500
`+testDefaults+`frontend fe
    bind 127.0.0.1:%d
    maxconn 20
    default_backend be
frontend other
    bind 127.0.0.1:%d
    default_backend be
backend be
    server s1 %s
`, stats, fronts[0], fronts[1], o.addr)
	})
	limits := func(sock string) string {
		var b strings.Builder
		header, rows := statRows(t, cli(t, sock, "show stat"))
		for _, r := range rows {
			if r[1] == "FRONTEND" {
				fmt.Fprintf(&b, "%s slim=%s\n", r[0], r[slices.Index(header, "slim")])
			}
		}
		for _, l := range strings.Split(cli(t, sock, "show info"), "\n") {
			if strings.Contains(l, "axconn:") {
				b.WriteString(l + "\n")
			}
		}
		return b.String()
	}
	check := func(label string) {
		t.Helper()
		if want, got := limits(pr.h.sock), limits(pr.g.sock); got != want {
			t.Errorf("%s:\ntether\n%s\nhaproxy\n%s", label, got, want)
		}
	}
	check("as configured")
	for _, cmd := range []string{
		"set maxconn frontend fe 7", "set maxconn frontend other 9x", "set maxconn frontend fe -1",
		"set maxconn frontend be 3", "set maxconn frontend nope", "set maxconn frontend fe", "set maxconn frontend",
		"set maxconn global 501", "set maxconn global 40", "set maxconn global",
	} {
		pr.both(t, cmd)
	}
	check("after set maxconn")
	pr.both(t, "set maxconn global 0")
	check("global restored")

	// A frontend at its maxconn serves nobody new; raising it serves the
	// client that waited. Only tether is tried: haproxy 2.6.12 aborts there
	// (its watchdog, in resume_listener under the proxy's lock).
	pr.both(t, "set maxconn frontend fe 1")
	idle, err := net.DialTimeout("tcp", pr.fronts[1][0], ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idle.Close() })
	time.Sleep(100 * time.Millisecond) // idle holds the one slot
	c, err := net.DialTimeout("tcp", pr.fronts[1][0], ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, err := c.Read(make([]byte, 1)); err == nil || !isTimeout(err) {
		t.Errorf("a client over the frontend's maxconn read %d bytes, %v", n, err)
	}
	mustCLI(t, pr.g.sock, "set maxconn frontend fe 2")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil || !strings.HasPrefix(string(b), "HTTP/1.1 200") || !strings.HasSuffix(string(b), originBody("s1")) {
		t.Errorf("once maxconn is raised, the waiting client got %q, %v", b, err)
	}
}

// TestDifferentialSetMaxconnServer raises a server's maxconn with `set
// maxconn server` while requests wait in its queue, on haproxy 2.6 and
// tether: the slim and queue columns follow, and as many waiting requests
// reach the server as the raise makes room for. (A maxconn set to 0, no
// limit, serves the waiting requests in tether; haproxy 2.6.12 leaves the
// last one in the backend's queue until its timeout.)
func TestDifferentialSetMaxconnServer(t *testing.T) {
	t.Parallel()
	origins := [2]*stallOrigin{startStallOrigin(t), startStallOrigin(t)}
	calls := 0 // startLogged renders haproxy's configuration first
	pr := startLogged(t, 1, func(stats int, fronts []int, log net.Addr) string {
		o := origins[calls]
		calls++
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
`+testDefaults+`    timeout queue 10s
frontend fe
    bind 127.0.0.1:%d
    default_backend be
backend be
    server s1 %s maxconn 1
`, stats, fronts[0], o.addr)
	})
	socks := [2]string{pr.h.sock, pr.g.sock}
	// state waits for the origin of a side to hold want requests (at most
	// 3 s), then says what it holds and what show stat says of s1.
	state := func(side int, want int64) string {
		o := origins[side]
		for deadline := time.Now().Add(3 * time.Second); o.held.Load() != want && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		return fmt.Sprintf("held=%d %s", o.held.Load(), statColumns(t, socks[side],
			map[string][]string{"server": {"slim", "qcur", "scur"}, "BACKEND": {"qcur", "scur"}}))
	}
	for side := range 2 {
		for range 4 {
			sendHeld(t, pr.fronts[side][0], "/head")
		}
	}
	for _, step := range []struct {
		cmd  string
		held int64
	}{{"", 1}, {"set maxconn server be/s1 3", 3}, {"set maxconn server be/s1 2", 3}, {"set maxconn server be/s1 10", 4}} {
		if step.cmd != "" {
			pr.both(t, step.cmd)
		}
		if want, got := state(0, step.held), state(1, step.held); got != want {
			t.Errorf("after %q:\ntether  %s\nhaproxy %s", step.cmd, got, want)
		}
	}
}
