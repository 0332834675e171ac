package engine

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
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
	bin := haproxyBin(t)
	heads := make(chan string, 1)
	raw, err := testorigin.StartRaw(func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		head, err := testorigin.ReadHead(br)
		if err != nil {
			return
		}
		lines := strings.Split(head, "\r\n")
		for i := 1; i < len(lines); i++ {
			name, value, _ := strings.Cut(lines[i], ":")
			lines[i] = strings.ToLower(name) + ":" + value
		}
		heads <- strings.Join(lines, "\r\n")
		if strings.HasPrefix(head, "CONNECT ") {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n\r\n")
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	config := func(logAddr net.Addr) string {
		return fmt.Sprintf("defaults\n  mode http\n  option httplog\n  log %s local0\n"+
			"  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n"+
			"frontend fe\n  bind 127.0.0.1:%d\n  default_backend be\nbackend be\n  server s1 %s\n", logAddr, freePort(), raw.Addr)
	}
	var addrs [2]string
	var logs [2]net.PacketConn
	for i := range logs {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = pc.Close() })
		logs[i] = pc
	}
	addrs[0] = startHAProxy(t, bin, config(logs[0].LocalAddr()))
	_, addrs[1] = startEngine(t, config(logs[1].LocalAddr()))
	buf := make([]byte, 4096)
	for _, pc := range logs { // what the probes of the listeners left
		_ = pc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				break
			}
		}
	}
	requestLine := regexp.MustCompile(` (\d+) \d+ - - \S{4} .*"(.*)"`)
	for _, req := range authorityRequests {
		var views [2]string
		for i, addr := range addrs {
			c := dial(t, addr)
			_ = c.c.SetDeadline(time.Now().Add(5 * time.Second))
			c.send(req)
			status, _ := c.br.ReadString('\n')
			_ = c.c.Close()
			server := "nothing"
			select {
			case server = <-heads:
			case <-time.After(500 * time.Millisecond):
			}
			_ = logs[i].SetReadDeadline(time.Now().Add(3 * time.Second))
			logged := "no log line"
			if n, _, err := logs[i].ReadFrom(buf); err == nil {
				if m := requestLine.FindStringSubmatch(string(buf[:n])); m != nil {
					logged = m[1] + " " + m[2]
				}
			}
			views[i] = fmt.Sprintf("client %q, logged %q, server %q", strings.TrimSpace(status), logged, server)
		}
		if views[0] != views[1] {
			t.Errorf("%q:\n haproxy %s\n engine  %s", req, views[0], views[1])
		}
	}
}
