package engine

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestServerGoneHAProxyDifferential: a server that goes away before its
// response head (it closes, resets, or stops after a partial head or an
// interim response) gets the client a 502, logged SH--, when the request
// was the first of its connection; a later request's connection is closed
// without an answer and without a log line, so that its client retries, as
// HAProxy does. A response that is not HTTP is a 502 either way. The test
// runs each case through haproxy 2.6 and the engine and compares the bytes
// the client gets and the log lines.
func TestServerGoneHAProxyDifferential(t *testing.T) {
	bin := haproxyBin(t)
	o := startOrigin(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			for {
				l, err := br.ReadString('\n')
				if err != nil || l == "\r\n" {
					break
				}
			}
			switch path := strings.Fields(line)[1]; path {
			case "/ok":
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				continue
			case "/partial":
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Le")
			case "/interim":
				_, _ = io.WriteString(c, "HTTP/1.1 103 Early Hints\r\n\r\n")
			case "/garbage":
				_, _ = io.WriteString(c, "HTTP/1.1 2OO OK\r\n\r\n")
			case "/reset":
				_ = c.(*net.TCPConn).SetLinger(0)
			}
			time.Sleep(20 * time.Millisecond) // what was written goes out before the close
			return
		}
	})
	var addrs [2]string
	var logs [2]net.PacketConn
	for i := range addrs {
		cfg, pc := withHTTPLog(t, fmt.Sprintf("defaults\n  mode http\n  option dontlognull\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n"+
			"frontend fe\n  bind 127.0.0.1:%d\n  default_backend be\nbackend be\n  server s1 %s\n", freePort(), o.ln.Addr()))
		logs[i] = pc
		if i == 0 {
			addrs[0] = startHAProxy(t, bin, cfg)
		} else {
			_, addrs[1] = startEngine(t, cfg)
		}
	}
	run := func(i int, path string, first bool) (reply string, log []string) {
		c := dial(t, addrs[i])
		defer c.c.Close()
		_ = c.c.SetDeadline(time.Now().Add(3 * time.Second))
		if !first {
			c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
			if r, _ := c.response("GET"); r == nil || r.StatusCode != 200 {
				t.Fatalf("side %d: the first request failed", i)
			}
		}
		c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
		_ = c.c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		b, err := io.ReadAll(c.br)
		reply = string(b)
		if err != nil {
			reply += " (then open)"
		}
		buf := make([]byte, 2048)
		for {
			_ = logs[i].SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			n, _, err := logs[i].ReadFrom(buf)
			if err != nil {
				return reply, log
			}
			line := string(buf[:n])
			f := strings.Fields(line[strings.Index(line, "] ")+2:])
			log = append(log, strings.Join(append([]string{f[1], f[3], f[7]}, f[10:]...), " "))
		}
	}
	for _, path := range []string{"/gone", "/partial", "/interim", "/garbage", "/reset"} {
		for _, first := range []bool{true, false} {
			wantReply, wantLog := run(0, path, first)
			gotReply, gotLog := run(1, path, first)
			if gotReply != wantReply {
				t.Errorf("%s, first request %v: haproxy answers\n%q\nthe engine\n%q", path, first, wantReply, gotReply)
			}
			if strings.Join(gotLog, "\n") != strings.Join(wantLog, "\n") {
				t.Errorf("%s, first request %v: haproxy logs\n%s\nthe engine\n%s", path, first, strings.Join(wantLog, "\n"), strings.Join(gotLog, "\n"))
			}
		}
	}
}
