package runtime

import (
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDifferentialDualStack compares with haproxy 2.6 an IPv6 wildcard
// bind: it takes IPv4 clients too, which the log and X-Forwarded-For show
// IPv4-mapped ("::ffff:127.0.0.1"), unless the bind says v6only.
func TestDifferentialDualStack(t *testing.T) {
	t.Parallel()
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback here")
	} else {
		ln.Close()
	}
	echo := startXFFOrigin(t)
	pr := startLogged(t, 2, func(stats int, fronts []int, log net.Addr) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
    log %s local0
`+testDefaults+`    log global
    option httplog
    option forwardfor
frontend dual
    bind :::%d
    default_backend be
frontend only6
    bind :::%d v6only
    default_backend be
backend be
    server s %s
`, stats, log, fronts[0], fronts[1], echo)
	})
	get := func(addr string) string {
		c, err := net.DialTimeout("tcp", addr, ioTimeout)
		if err != nil {
			return "refused"
		}
		defer c.Close()
		if c.LocalAddr().String() == c.RemoteAddr().String() {
			// nothing listens there, and the kernel gave the dial the
			// port it dialed: TCP's simultaneous open connected it to
			// itself
			return "refused"
		}
		_ = c.SetDeadline(time.Now().Add(ioTimeout))
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
		b, _ := io.ReadAll(c)
		_, body, _ := strings.Cut(string(b), "\r\n\r\n")
		return "x-forwarded-for: " + body
	}
	port := func(front string) string { _, p, _ := net.SplitHostPort(front); return p }
	for i, fe := range []string{"dual", "only6"} {
		for _, host := range []string{"127.0.0.1", "::1"} {
			want := get(net.JoinHostPort(host, port(pr.fronts[0][i])))
			got := get(net.JoinHostPort(host, port(pr.fronts[1][i])))
			if got != want {
				t.Errorf("%s from %s: tether %q, haproxy %q", fe, host, got, want)
			}
		}
	}
	time.Sleep(200 * time.Millisecond)
	client := regexp.MustCompile(`^<\d+> (\S+):\d+ \[[^\]]+\] (\S+)`)
	lines := func(el *eventLog) string {
		var out []string
		for _, l := range el.drain() {
			if m := client.FindStringSubmatch(l); m != nil {
				out = append(out, m[1]+" "+m[2])
			}
		}
		return strings.Join(out, "\n")
	}
	if want, got := lines(pr.logs[0]), lines(pr.logs[1]); got != want || !strings.Contains(want, "::ffff:127.0.0.1 dual") {
		t.Errorf("logged clients\ntether\n%s\nhaproxy\n%s", got, want)
	}
}
