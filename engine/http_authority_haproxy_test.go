package engine

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// authorityRequests have targets in the absolute and authority forms.
var authorityRequests = []string{
	"GET http://a:80/p HTTP/1.1\r\nHost: a:80\r\n\r\n",
	"GET http://a:80/p HTTP/1.1\r\nHost: A\r\n\r\n",
	"GET HTTP://A:80/p?q HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET https://a:443/p HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET http://a:/p HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET http://a:443/p HTTP/1.1\r\nHost: a:443\r\n\r\n",
	"GET http://a:8080/p HTTP/1.1\r\nHost: a:8080\r\n\r\n",
	"GET http://a/p HTTP/1.1\r\nHost: a:80\r\n\r\n",
	"GET http://[::1]:80/p HTTP/1.1\r\nHost: [::1]\r\n\r\n",
	"GET http://a:80/p HTTP/1.0\r\n\r\n",
	"GET /p HTTP/1.1\r\nHost: a:80\r\n\r\n",
	"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
	"CONNECT a:443 HTTP/1.1\r\nHost: A\r\n\r\n",
	"CONNECT a:80 HTTP/1.1\r\nHost: a:80\r\n\r\n",
	"CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n",
	"CONNECT a:8080 HTTP/1.1\r\nHost: a:8080\r\n\r\n",
	"CONNECT a:443 HTTP/1.1\r\nHost: a:80\r\n\r\n",
}

// TestAuthorityHAProxyDifferential sends authorityRequests through haproxy
// 2.6 and the engine and compares the head the server gets (field names
// in lower case), the status the client gets and the request line logged.
// HAProxy removes a target's port when it is the scheme's default, and
// Host then takes the target's authority; for CONNECT to port 80 or 443 it
// takes a Host without the port, and forwards Host without it.
func TestAuthorityHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBin(t)
	heads := make(chan string, 1)
	raw := headOrigin(t, func(head string) string {
		heads <- lowerNames(head)
		if strings.HasPrefix(head, "CONNECT ") {
			return "HTTP/1.1 200 OK\r\n\r\n"
		}
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
	})
	pair := startPair(t, bin, pairLogged, "{SRV}", raw.Addr)
	pair.drainLogs(300 * time.Millisecond) // what the probes of the listeners left
	requestLine := regexp.MustCompile(` (\d+) \d+ - - \S{4} .*"(.*)"`)
	for _, req := range authorityRequests {
		want, got := pair.views(func(s proxySide) string {
			c := s.send(t, req)
			status, _ := c.br.ReadString('\n')
			_ = c.c.Close()
			server := "nothing"
			select {
			case server = <-heads:
			case <-time.After(500 * time.Millisecond):
			}
			logged := "no log line"
			if line, err := nextLog(s.logs, 3*time.Second); err == nil {
				if m := requestLine.FindStringSubmatch(line); m != nil {
					logged = m[1] + " " + m[2]
				}
			}
			return fmt.Sprintf("client %q, logged %q, server %q", strings.TrimSpace(status), logged, server)
		})
		if want != got {
			t.Errorf("%q:\n haproxy %s\n engine  %s", req, want, got)
		}
	}
}
