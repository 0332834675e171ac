package engine

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
)

// TestTunnelFinHAProxyDifferential checks `timeout client-fin` and
// `timeout server-fin` against haproxy 2.6 on upgraded connections: once
// the client (or the server) shuts its side, the tunnel ends after that
// side's fin timeout of inactivity rather than `timeout tunnel` (and a
// server's end ends the tunnel at once); both proxies must end it within
// the same bounds and log it alike.
func TestTunnelFinHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	origin := startRaw(t, func(_ *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		head, err := testorigin.ReadHead(br)
		if err != nil {
			return
		}
		_, _ = c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n"))
		if strings.Contains(head, "/sfin") {
			time.Sleep(400 * time.Millisecond) // once the tunnel is off the loop
			_ = c.(*net.TCPConn).CloseWrite()
		}
		// Read until the proxy closes or shuts its side, then hold the
		// connection: only a fin timeout ends the tunnel within 2 s.
		_, _ = br.ReadByte()
		time.Sleep(4 * time.Second)
	})
	const cfg = loggedDefaults + `  timeout tunnel 5s
{FIN}frontend fe
  bind {BIND}
  default_backend be
backend be
  server s1 {SRV}
`
	for _, fin := range []string{
		"  timeout client-fin 300ms\n  timeout server-fin 300ms\n",
		"  timeout client-fin 300ms\n",
		"  timeout server-fin 300ms\n",
	} {
		tunnelFinRuns(t, startPair(t, bin, cfg, "{SRV}", origin.Addr, "{FIN}", fin), fin)
	}
}

// tunnelFinRuns runs the client's and the server's shutdown through p.
func tunnelFinRuns(t *testing.T, p proxyPair, fin string) {
	p.drainLogs(200 * time.Millisecond)
	for _, path := range []string{"/cfin", "/sfin"} {
		want, got := p.views(func(s proxySide) string {
			c := dialFor(t, s.addr, 8*time.Second)
			c.send("GET " + path + " HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n")
			if _, err := testorigin.ReadHead(c.br); err != nil {
				return "no 101: " + err.Error()
			}
			time.Sleep(200 * time.Millisecond) // the tunnel is off the loop
			start := time.Now()
			if path == "/cfin" {
				_ = c.c.(*net.TCPConn).CloseWrite()
			}
			for {
				if _, err := c.br.ReadByte(); err != nil {
					break
				}
			}
			took := "ended within 2 s"
			if time.Since(start) >= 2*time.Second {
				took = "ended after 2 s"
			}
			line, err := nextLog(s.logs, 3*time.Second)
			if err != nil {
				return took + "; no log line: " + err.Error()
			}
			return took + "; " + logConnsRE.ReplaceAllString(maskLog(line, true), " C/C/C/C/")
		})
		if got != want {
			t.Errorf("%q %s:\nengine:  %s\nhaproxy: %s", fin, path, got, want)
		}
	}
}
