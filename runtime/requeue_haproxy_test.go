package runtime

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDifferentialRequeued compares with haproxy 2.6 the requests a
// server's state change moves, as the logged messages count them: a
// server that goes down under option redispatch gives its waiting
// (cookie-bound) requests back to balancing ("2 requeued"), as does one
// drained, and one that comes up takes those of the backend's queue it
// has room for ("1 sessions requeued").
func TestDifferentialRequeued(t *testing.T) {
	t.Parallel()
	hold := startHoldOrigin(t)
	pr := startLogged(t, 1, func(stats int, fronts []int, log net.Addr) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
    log %s local0
`+testDefaults+`    timeout queue 20s
frontend fe
    bind 127.0.0.1:%d
    default_backend be
backend be
    log global
    balance roundrobin
    option redispatch
    cookie SRV insert indirect nocache
    server s1 %s maxconn 1 cookie s1
    server s2 %s maxconn 1 cookie s2
    server s3 %s maxconn 5 cookie s3
`, stats, log, fronts[0], hold.addr, hold.addr, hold.addr)
	})
	// columns returns the sessions and queues of the servers and backend.
	columns := func(sock string) string {
		cols := []string{"scur", "qcur"}
		return statColumns(t, sock, map[string][]string{"BACKEND": cols, "server": cols})
	}
	// settle waits until both proxies show the same sessions and queues,
	// expect among them.
	settle := func(label, expect string) {
		t.Helper()
		var want, got string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if want, got = columns(pr.h.sock), columns(pr.g.sock); got == want && strings.Contains(want, expect) {
				return
			}
		}
		t.Fatalf("%s (waiting for %q):\ntether\n%s\nhaproxy\n%s", label, expect, got, want)
	}
	done := make(chan error, 10)
	send := func(front, cookie string) {
		go func() {
			c, err := net.DialTimeout("tcp", front, ioTimeout)
			if err != nil {
				done <- err
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: t\r\nCookie: SRV="+cookie+"\r\n\r\n"); err != nil {
				done <- err
				return
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err == nil && resp.StatusCode != 200 {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
			done <- err
		}()
	}
	pr.both(t, "set server be/s3 health down")
	for _, front := range []string{pr.fronts[0][0], pr.fronts[1][0]} {
		for range 3 {
			send(front, "s1")
		}
	}
	settle("three requests bound to s1", "s1: scur=1 qcur=2")
	pr.both(t, "set server be/s1 health down")
	settle("s1 down: its waiting requests balanced", "BACKEND: scur=3 qcur=1")
	pr.both(t, "set server be/s3 health up")
	settle("s3 up: it takes the backend's waiting request", "s3: scur=1 qcur=0")
	for _, front := range []string{pr.fronts[0][0], pr.fronts[1][0]} {
		for range 2 {
			send(front, "s2")
		}
	}
	settle("two requests bound to s2", "s2: scur=1 qcur=2")
	pr.both(t, "set server be/s2 state drain")
	settle("s2 drained: its waiting requests balanced", "s3: scur=3 qcur=0")
	hold.open()
	for range 10 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	sameLines(t, "requeued", pr.logs[0], pr.logs[1])
}
