package engine

import (
	"bufio"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
)

// TestLogASAPHAProxyDifferential checks `option logasap` against haproxy
// 2.6: the line goes out once the response head is, before a slow body
// ends, with '+' before the time and the bytes so far; an exchange
// without a response is logged at its end as usual.
func TestLogASAPHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	origin := startRaw(t, func(_ *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := testorigin.ReadHead(br); err != nil {
			return
		}
		_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"))
		time.Sleep(800 * time.Millisecond)
		_, _ = c.Write([]byte("world"))
	})
	const cfg = loggedDefaults + `frontend fe
  bind {BIND}
  option logasap
  use_backend dead if { path /dead }
  default_backend be
backend be
  server s1 {SRV}
backend dead
  server s1 {DEAD}
`
	p := startPair(t, bin, cfg, "{SRV}", origin.Addr, "{DEAD}", deadAddr())
	p.drainLogs(200 * time.Millisecond)
	early := regexp.MustCompile(`/\+\d+ \d+ \+\d+ `)
	for _, req := range []string{"GET /slow HTTP/1.1\r\nHost: h\r\n\r\n", "GET /dead HTTP/1.1\r\nHost: h\r\n\r\n"} {
		want, got := p.views(func(s proxySide) string {
			c := s.send(t, req)
			line, err := nextLog(s.logs, 6*time.Second) // a dead server is retried for 3 s
			if err != nil {
				return "no log line: " + err.Error()
			}
			body := c.untilQuiet(1500 * time.Millisecond)
			return strings.Join([]string{
				"logged early: " + strconv.FormatBool(early.MatchString(line)),
				logConnsRE.ReplaceAllString(maskLog(line, false), " C/C/C/C/"),
				normalizeExchange(body),
			}, "\n")
		})
		if got != want {
			t.Errorf("%q:\nengine:\n%s\nhaproxy:\n%s", req, got, want)
		}
	}
}
