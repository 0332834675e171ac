package engine

import (
	"net"
	"strings"
	"testing"
	"time"
)

// abortConfig has a server taking one request at a time, slow to answer,
// behind a backend with `option abortonclose` ({ABORT}) or without.
const abortConfig = loggedDefaults + `  timeout queue 5s
frontend fe
  bind {BIND}
  default_backend be
backend be
{ABORT}  server s1 {SRV} maxconn 1
`

// TestAbortOnCloseHAProxyDifferential queues requests behind a slow one,
// the client of one shutting its side once it is sent, that of another
// closing, and compares with haproxy 2.6 what the clients get and what is
// logged, with `option abortonclose` and without: haproxy 2.6 serves both
// either way (the option does not drop a complete HTTP/1 request).
func TestAbortOnCloseHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	origin := headOrigin(t, func(head string) string {
		time.Sleep(600 * time.Millisecond)
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
	})
	for _, abort := range []string{"  option abortonclose\n", ""} {
		p := startPair(t, bin, abortConfig, "{SRV}", origin.Addr, "{ABORT}", abort)
		p.drainLogs(200 * time.Millisecond)
		want, got := p.views(func(s proxySide) string {
			first := s.send(t, "GET /first HTTP/1.1\r\nHost: h\r\n\r\n")
			time.Sleep(150 * time.Millisecond)
			queued := s.send(t, "GET /queued HTTP/1.1\r\nHost: h\r\n\r\n")
			time.Sleep(100 * time.Millisecond)
			_ = queued.c.(*net.TCPConn).CloseWrite()
			half := normalizeExchange(queued.untilQuiet(1500 * time.Millisecond))
			gone := s.send(t, "GET /gone HTTP/1.1\r\nHost: h\r\n\r\n")
			time.Sleep(100 * time.Millisecond)
			_ = gone.c.Close()
			out := "first: " + normalizeExchange(first.untilQuiet(1500*time.Millisecond)) + "\nhalf-closed: " + half
			var lines []string
			for range 3 {
				line, err := nextLog(s.logs, 3*time.Second)
				if err != nil {
					lines = append(lines, "no log line: "+err.Error())
					continue
				}
				lines = append(lines, logConnsRE.ReplaceAllString(maskLog(line, false), " C/C/C/C/"))
			}
			return out + "\n" + strings.Join(lines, "\n")
		})
		if got != want {
			t.Errorf("%q:\nengine:\n%s\nhaproxy:\n%s", abort, got, want)
		}
	}
}
