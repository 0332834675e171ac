package engine

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// logFormatVars is the log-format of TestLogFormatHAProxyDifferential:
// every variable, '~' between them, and the names of those whose values
// differ between two proxies run side by side (ports, dates, times,
// process and counters), which are compared by shape only.
var logFormatVars = []string{
	"%ci", "%cp*", "%fi", "%fp*", "%ft", "%f", "%b", "%s", "%si", "%sp", "%ST", "%B", "%U", "%CC", "%CS",
	"%tsc", "%ts", "%ac/%fc/%bc/%sc*", "%rc", "%sq/%bq", "%hr", "%hrl", "%hs", "%hsl", "%r", "%{+Q}r",
	"%HM", "%HU", "%HP", "%HPO", "%HQ", "%HV", "%{+Q}b", "%{+X}ci", "%{+X}cp*", "%pid*",
	"%TR/%Tw/%Tc/%Tr/%Ta*", "%Th", "%Ti*", "%Tq*", "%Tt*", "%Tu*", "%Td*", "%t*", "%tr*", "%trg*", "%trl*",
	"%T*", "%Tl*", "%Ts*", "%ms*", "%rt*", "%lc*", "%H", "%ID", "%sslv", "%sslc",
	"%[src]", "%{+Q}[dst]", "%[method]", "%{+X}[src_port]*", "%%", "%{+Q,+E}o%f", "%s",
}

// logFormatSource is what TestLogFormatHAProxyDifferential adds for the
// requests a server answers: the proxy's end of the server connection,
// which tether does not know of a connection refused.
var logFormatSource = []string{"%bi", "%bp*"}

// TestLogFormatHAProxyDifferential logs exchanges through haproxy 2.6 and
// tether with a log-format holding every variable and flag, and requires
// the same lines, values that differ between the two processes compared
// by shape (digits masked, "-" and -1 kept).
func TestLogFormatHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	origin := headOrigin(t, func(string) string {
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-R: r1\r\nConnection: close\r\n\r\nok"
	})
	cfg := func(vars []string) (string, []bool) {
		var format []string
		var masked []bool
		for _, v := range vars {
			format = append(format, strings.TrimSuffix(v, "*"))
			masked = append(masked, strings.HasSuffix(v, "*"))
		}
		return `defaults
  mode http
  log {LOG} local0
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend fe
  bind {BIND}
  log-format "` + strings.Join(format, "~") + `"
  capture request header Host len 10
  capture request header X-A len 5
  capture response header X-R len 5
  use_backend dead if { path_beg /dead }
  default_backend be
backend be
  server s1 {SRV}
backend dead
  retries 0
  server d1 {DEAD}
`, masked
	}
	served, servedMask := cfg(append(slices.Clone(logFormatVars), logFormatSource...))
	refused, refusedMask := cfg(logFormatVars)
	logFormatRuns(t, startPair(t, bin, served, "{SRV}", origin.Addr, "{DEAD}", deadAddr()), servedMask, []string{
		"GET /p/a?q=1 HTTP/1.1\r\nHost: example.com\r\nX-A: abcdefgh\r\n\r\n",
		"GET http://abs.example:80/x/y?z HTTP/1.1\r\nHost: abs.example\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
	})
	logFormatRuns(t, startPair(t, bin, refused, "{SRV}", origin.Addr, "{DEAD}", deadAddr()), refusedMask, []string{
		"GET /dead HTTP/1.1\r\nHost: h\r\n\r\n",
	})
}

// logFormatRuns sends each request through both sides of p and compares
// the lines logged, the fields set in masked by shape.
func logFormatRuns(t *testing.T, p proxyPair, masked []bool, reqs []string) {
	t.Helper()
	p.drainLogs(200 * time.Millisecond)
	digits := regexp.MustCompile(`-1\b|[0-9A-F]+`)
	header := regexp.MustCompile(`^<\d+>\w{3} [ \d]\d \d\d:\d\d:\d\d \S+\[\d+\]: `)
	for _, req := range reqs {
		want, got := p.views(func(s proxySide) string {
			s.send(t, req).untilQuiet(300 * time.Millisecond)
			line, err := nextLog(s.logs, 3*time.Second)
			if err != nil {
				return "no log line: " + err.Error()
			}
			fields := strings.Split(header.ReplaceAllString(strings.TrimSuffix(line, "\n"), ""), "~")
			for i := range fields {
				if i < len(masked) && masked[i] {
					fields[i] = digits.ReplaceAllStringFunc(fields[i], func(d string) string {
						if d == "-1" {
							return d
						}
						return "N"
					})
				}
			}
			return strings.Join(fields, "\n")
		})
		if got != want {
			t.Errorf("%q:\nengine:\n%s\nhaproxy:\n%s", req, got, want)
		}
	}
}
