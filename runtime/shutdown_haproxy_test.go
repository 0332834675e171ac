package runtime

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stallOrigin holds its requests: to GET /head it answers nothing, to
// other targets a response head announcing 100000 bytes and the first
// 1000 of them. It counts the requests it holds and lets them go at the
// end of the test.
type stallOrigin struct {
	addr netip.AddrPort
	held atomic.Int64
	done chan struct{}
}

func startStallOrigin(t *testing.T) *stallOrigin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &stallOrigin{addr: ln.Addr().(*net.TCPAddr).AddrPort(), done: make(chan struct{})}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		close(o.done)
		_ = ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				o.serve(c)
			}()
		}
	}()
	return o
}

func (o *stallOrigin) serve(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return
	}
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if l == "\r\n" {
			break
		}
	}
	if !strings.HasPrefix(line, "GET /head ") {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"+strings.Repeat("x", 1000))
	}
	o.held.Add(1)
	defer o.held.Add(-1)
	// Wait for the end of the test, or for the proxy to close.
	closed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, br)
		close(closed)
	}()
	select {
	case <-o.done:
	case <-closed:
	}
}

// heldRequest is a client's request left waiting: its outcome is read
// once something ended it.
type heldRequest struct {
	c    net.Conn
	path string
}

func sendHeld(t *testing.T, front, path string) *heldRequest {
	t.Helper()
	c, err := net.DialTimeout("tcp", front, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: t\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	return &heldRequest{c: c, path: path}
}

// outcome reads what the client got until the connection closes or stays
// quiet for half a second: the whole reply for a short one, the head and
// the byte count for a long one, and whether the connection closed.
func (h *heldRequest) outcome() string {
	var got []byte
	buf := make([]byte, 4096)
	closed := false
	for {
		_ = h.c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, err := h.c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			closed = err == io.EOF || !isTimeout(err)
			break
		}
	}
	// Field names are compared in lower case: haproxy writes them so,
	// tether as the server sent them.
	head, body, _ := strings.Cut(string(got), "\r\n\r\n")
	s := strings.ToLower(head) + "\r\n\r\n" + body
	if len(s) > 300 {
		s = fmt.Sprintf("%s\r\n\r\n... %d bytes in all", strings.ToLower(head), len(got))
	}
	return fmt.Sprintf("%s: %q closed=%v", h.path, s, closed)
}

// accessLineRE picks out of an httplog line what does not depend on
// timing: the servers, the status, the bytes, the termination flags and
// the request.
var accessLineRE = regexp.MustCompile(`^(<\d+> )\S+ \[[^\]]+\] (\S+ \S+) \S+ (\S+ \S+) \S+ \S+ (\S+) \S+ \S+ (".*")$`)

// accessLines returns the access log lines of a log, masked to what
// accessLineRE keeps, sorted; other lines are dropped.
func accessLines(el *eventLog) []string {
	var out []string
	for _, l := range el.drain() {
		if m := accessLineRE.FindStringSubmatch(l); m != nil {
			out = append(out, m[1]+strings.Join(m[2:], " "))
		}
	}
	slices.Sort(out)
	return out
}

// TestDifferentialShutdownSessions runs haproxy 2.6 and tether in front of
// an origin that holds its requests, with `on-marked-down
// shutdown-sessions` on one server and `on-marked-up
// shutdown-backup-sessions` on another: when the first goes down and when
// the second comes up, the requests those servers (or the backups) hold
// must end as haproxy ends them (a 502 before the response head, a cut
// response after it), with the same log lines (termination D and U); and
// so must those of a server whose sessions `shutdown sessions server`
// ends (termination K).
func TestDifferentialShutdownSessions(t *testing.T) {
	t.Parallel()
	o := startStallOrigin(t)
	pr := startLogged(t, 2, func(stats int, fronts []int, log net.Addr) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
    log %s local0
`+testDefaults+`    log global
    option httplog
frontend fe
    bind 127.0.0.1:%d
    default_backend down
frontend fe2
    bind 127.0.0.1:%d
    default_backend up
backend down
    server s %s on-marked-down shutdown-sessions
    server keep %s backup
backend up
    server a %s on-marked-up shutdown-backup-sessions
    server b %s backup
`, stats, log, fronts[0], fronts[1], o.addr, o.addr, o.addr, o.addr)
	})
	socks := [2]string{pr.h.sock, pr.g.sock}
	// run sends the requests to the frontend fe of each proxy in turn,
	// waits until the origin holds them, runs cmd and compares what the
	// clients got.
	run := func(label string, fe int, paths []string, cmd string) {
		t.Helper()
		var got [2][]string
		for side := range 2 {
			var reqs []*heldRequest
			for _, path := range paths {
				reqs = append(reqs, sendHeld(t, pr.fronts[side][fe], path))
			}
			for deadline := time.Now().Add(5 * time.Second); o.held.Load() < int64(len(paths)); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("%s: the origin holds %d requests, want %d", label, o.held.Load(), len(paths))
				}
			}
			mustCLI(t, socks[side], cmd)
			for _, r := range reqs {
				got[side] = append(got[side], r.outcome())
			}
			for deadline := time.Now().Add(5 * time.Second); o.held.Load() > 0 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
		}
		if !slices.Equal(got[1], got[0]) {
			t.Errorf("%s: clients got\ntether\n%s\nhaproxy\n%s", label, strings.Join(got[1], "\n"), strings.Join(got[0], "\n"))
		}
	}
	paths := []string{"/head", "/body"}
	run("server marked down", 0, paths, "set server down/s health down")
	mustCLI(t, socks[0], "set server up/a health down")
	mustCLI(t, socks[1], "set server up/a health down")
	run("active server marked up", 1, paths, "set server up/a health up")
	mustCLI(t, socks[0], "set server down/s health up")
	mustCLI(t, socks[1], "set server down/s health up")
	run("sessions shut down on the runtime API", 0, paths, "shutdown sessions server down/s")
	time.Sleep(200 * time.Millisecond)
	want, got := accessLines(pr.logs[0]), accessLines(pr.logs[1])
	if !slices.Equal(got, want) {
		t.Errorf("access log\ntether\n%s\nhaproxy\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, flags := range []string{"DH--", "DD--", "UH--", "UD--", "KH--", "KD--"} {
		if !slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, " "+flags+" ") }) {
			t.Errorf("no access log line with %s in\n%s", flags, strings.Join(got, "\n"))
		}
	}
}
