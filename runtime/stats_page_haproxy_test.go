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

// TestDifferentialStatsPage serves `stats uri` pages from haproxy 2.6 and
// tether and compares what they answer: the authentication challenge,
// the CSV page (its head, its column line and which rows it has: the
// counters themselves are each proxy's own), the HTML page's head, the
// Refresh field and ";norefresh", HEAD and HTTP/1.0, and the log lines.
func TestDifferentialStatsPage(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t, "a")
	pr := startLogged(t, 2, func(stats int, fronts []int, log net.Addr) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
    log %s local0
`+testDefaults+`    log global
    option httplog
listen admin
    bind 127.0.0.1:%d
    stats enable
    stats uri /st
    stats refresh 5s
    stats auth admin:secret
    stats auth ops:pass
    stats realm Hello\ World
    stats hide-version
frontend fe
    bind 127.0.0.1:%d
    stats enable
    default_backend be
backend be
    server s %s
`, stats, log, fronts[0], fronts[1], origin.addr)
	})
	get := func(front, req string) string {
		c, err := net.DialTimeout("tcp", front, ioTimeout)
		if err != nil {
			return err.Error()
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		io.WriteString(c, req)
		_ = c.(*net.TCPConn).CloseWrite()
		b, _ := io.ReadAll(c)
		return statsShape(string(b))
	}
	const auth = "Authorization: Basic YWRtaW46c2VjcmV0\r\n" // admin:secret
	for _, tc := range []struct {
		front int
		req   string
	}{
		{0, "GET /st;csv HTTP/1.1\r\nHost: h\r\n\r\n"},
		{0, "GET /st;csv HTTP/1.1\r\nHost: h\r\nAuthorization: Basic b3BzOnBhc3M=\r\n\r\n"},
		{0, "GET /st;csv HTTP/1.1\r\nHost: h\r\nAuthorization: Basic YWRtaW46bm9wZQ==\r\n\r\n"},
		{0, "GET /st;csv;norefresh HTTP/1.1\r\nHost: h\r\n" + auth + "\r\n"},
		{0, "GET /st HTTP/1.1\r\nHost: h\r\n" + auth + "\r\n"},
		{0, "HEAD /st;csv HTTP/1.1\r\nHost: h\r\n" + auth + "\r\n"},
		{0, "GET /other HTTP/1.1\r\nHost: h\r\n\r\n"},
		{1, "GET /haproxy?stats;csv HTTP/1.1\r\nHost: h\r\n\r\n"},
		{1, "GET /haproxy?stats;csv HTTP/1.0\r\n\r\n"},
		{1, "GET /plain HTTP/1.1\r\nHost: h\r\n\r\n"},
	} {
		want, got := get(pr.fronts[0][tc.front], tc.req), get(pr.fronts[1][tc.front], tc.req)
		if got != want {
			t.Errorf("%q:\ntether:\n%s\nhaproxy:\n%s", tc.req, got, want)
		}
	}
	time.Sleep(300 * time.Millisecond)
	line := regexp.MustCompile(`^<\d+> [^ ]+ \[[^\]]+\] (\S+ \S+) \S+ (\S+) \S+ (.*)$`)
	logged := func(el *eventLog) string {
		var out []string
		for _, l := range el.drain() {
			if m := line.FindStringSubmatch(l); m != nil {
				out = append(out, m[1]+" "+m[2]+" "+m[3])
			}
		}
		return strings.Join(out, "\n")
	}
	if want, got := logged(pr.logs[0]), logged(pr.logs[1]); got != want {
		t.Errorf("logged\ntether:\n%s\nhaproxy:\n%s", got, want)
	}
}

// statsShape reduces a response to what both proxies must agree on: the
// status line and the fields (chunk sizes and the values of content-length
// aside for pages), then for a CSV page its column line and the proxy and
// server of each row, for an HTML page nothing of the body.
func statsShape(resp string) string {
	head, body, _ := strings.Cut(resp, "\r\n\r\n")
	var b strings.Builder
	html := strings.Contains(head, "text/html") && strings.HasPrefix(head, "HTTP/1.1 200")
	for _, l := range strings.Split(head, "\r\n") {
		if strings.HasPrefix(strings.ToLower(l), "content-length:") && !strings.HasPrefix(head, "HTTP/1.1 401") {
			l = "content-length: N"
		}
		b.WriteString(strings.ToLower(l) + "\n")
	}
	if html || !strings.Contains(body, "# pxname") {
		if !html {
			b.WriteString(body)
		}
		return b.String()
	}
	for _, l := range strings.Split(body, "\n") {
		switch {
		case strings.HasPrefix(l, "# pxname"):
			b.WriteString(l + "\n")
		case strings.Count(l, ",") > 10:
			f := strings.SplitN(l, ",", 3)
			b.WriteString(f[0] + "," + f[1] + "\n")
		}
	}
	return b.String()
}
