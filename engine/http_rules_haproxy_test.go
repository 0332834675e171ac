package engine

import (
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
)

// rulesConfig has http-request and http-response rules of every action
// tether implements, in a frontend and in two backends: fields set, added
// and deleted (by name and by -m beg, end, sub and reg), values written
// from samples of the request, the response and the connection, a rule
// reading what an earlier one added, routing on an added field, allow,
// and deny with HAProxy's statuses, on requests and on responses.
const rulesConfig = loggedDefaults + `  timeout tarpit 200ms
frontend fe
  bind {BIND}
  http-request set-header X-Set "fe-%[src]-%ci %[method] %[path]?%[query]" if { path_beg / }
  http-request add-header X-Add "a b"
  http-request del-header X-Drop
  http-request del-header x-pre -m beg
  http-request del-header -END -m end
  http-request del-header MID -m sub
  http-request del-header ^x-re[0-9]$ -m reg
  http-request set-header X-Copy %[req.hdr(x-in)]|%[req.fhdr(x-in)]|%[hdr(x-none)]|%[hdr(x-add)]|100%%
  http-request add-header X-Dst %[dst]
  http-request add-header X-Route 1 if { path_beg /two }
  http-request set-header X-Seen %[hdr(x-route)] if { hdr(x-route) -m found }
  http-request deny if { path /deny }
  http-request deny deny_status 429 if { path /limit }
  http-request deny status 400 if { path /bad }
  http-request deny deny_status 503 if { path /busy }
  http-request deny deny_status 408 if { path /slow }
  http-request reject if { path /reject }
  http-request silent-drop if { path /drop }
  http-request tarpit if { path /tarpit }
  http-request tarpit deny_status 429 if { path /tarpit429 }
  http-request allow if { path /allow }
  http-request add-header X-After-Allow 1
  http-response set-header X-Fe-Res fe
  http-response del-header Server
  use_backend b2 if { hdr(x-route) -m found }
  default_backend be
backend be
  http-request add-header X-Be be
  http-request set-header X-Add replaced
  http-request del-header X-Gone
  http-request add-header X-Gone again
  http-response add-header X-Be-Res %[res.hdr(x-res)]/%[res.fhdr(x-res)]/%[hdr(x-none)]
  http-response deny if { hdr(x-deny-me) -m found }
  http-response deny if { method PUT }
  http-response silent-drop if { method OPTIONS }
  http-response set-header X-Twice 1
  http-response add-header X-Twice 2
  http-response del-header X-Strip
  server s1 {SRV}
backend b2
  http-request deny deny_status 404 if { path /two/deny }
  http-response set-header X-Res %[res.fhdr(x-res)]-2
  http-response deny deny_status 504 if { hdr(x-deny-me) -m found } || METH_POST
  server s1 {SRV}
`

// TestHTTPRulesHAProxyDifferential sends requests through haproxy 2.6 and
// tether configured by rulesConfig, in front of an origin that answers
// with the head it received, and requires the same response (the request
// as the server saw it in its body, and the response as rules left it),
// field names compared without case, and the same log line.
func TestHTTPRulesHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	origin := headOrigin(t, func(head string) string {
		extra := ""
		if strings.Contains(head, "resdeny") {
			extra = "X-Deny-Me: 1\r\n"
		}
		return "HTTP/1.1 200 OK\r\nServer: origin\r\nX-Res: a, b\r\nX-Strip: s\r\nX-Twice: 0\r\n" + extra +
			"Content-Length: " + strconv.Itoa(len(head)) + "\r\nConnection: close\r\n\r\n" + head
	})
	p := startPair(t, bin, rulesConfig, "{SRV}", origin.Addr)
	p.drainLogs(200 * time.Millisecond)
	fields := "Host: x\r\nX-In: a, b\r\nX-In: c,d\r\nX-Drop: 1\r\nX-Pre-One: 1\r\nx-pre-two: 2\r\nX-Set: old\r\n" +
		"A-End: 1\r\nX-Mid-Dle: 1\r\nX-Re1: 1\r\nX-Re12: kept\r\nX-Gone: 1\r\nX-Keep: k\r\n"
	diffExchanges(t, p, []string{
		"GET /plain?q=1&r HTTP/1.1\r\n" + fields + "\r\n",
		"GET /deny HTTP/1.1\r\n" + fields + "\r\n",
		"HEAD /deny HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /limit HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /bad HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /busy HTTP/1.0\r\n\r\n",
		"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /reject HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /drop HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /tarpit HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /tarpit429 HTTP/1.0\r\n\r\n",
		"OPTIONS /opt HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /allow HTTP/1.1\r\n" + fields + "\r\n",
		"GET /two/x HTTP/1.1\r\n" + fields + "\r\n",
		"GET /two/deny HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /resdeny HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /two/resdeny HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /old HTTP/1.0\r\nX-Add: mine\r\n\r\n",
		"PUT /put HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi",
		"POST /two/post HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi",
		"POST /deny HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi",
		"POST /limit HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		"POST /busy HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
	})
}

// loggedDefaults is the defaults section of this file's differential
// tests: HTTP, httplog lines to {LOG}, short timeouts.
const loggedDefaults = `defaults
  mode http
  option httplog
  log {LOG} local0
  timeout connect 2s
  timeout client 5s
  timeout server 5s
`

// headEchoOrigin starts an origin that answers each request with the
// head it received, as it received it, and closes.
func headEchoOrigin(t *testing.T) *testorigin.Raw {
	t.Helper()
	return headOrigin(t, func(head string) string {
		return "HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(head)) + "\r\nConnection: close\r\n\r\n" + head
	})
}

// diffExchanges sends each request on a new connection to both sides of
// p and requires the same response, its field names and those of an
// echoed request head compared without case (normalizeExchange), and the
// same log line, connection counts aside: they depend on when each proxy
// saw the earlier connections close.
func diffExchanges(t *testing.T, p proxyPair, reqs []string) {
	t.Helper()
	for _, req := range reqs {
		want, got := p.views(func(s proxySide) string {
			return normalizeExchange(s.send(t, req).untilQuiet(500 * time.Millisecond))
		})
		if got != want {
			t.Errorf("%q:\nengine:\n%s\nhaproxy:\n%s", req, got, want)
		}
		wantLog, got := p.views(func(s proxySide) string {
			line, err := nextLog(s.logs, 3*time.Second)
			if err != nil {
				return "no log line: " + err.Error()
			}
			return logConnsRE.ReplaceAllString(maskLog(line, false), " C/C/C/C/")
		})
		if got != wantLog {
			t.Errorf("%q: logged\nengine:  %s\nhaproxy: %s", req, got, wantLog)
		}
	}
}

// logConnsRE matches the connection counts of a masked httplog line (%ac
// to %sc; the retries stay).
var logConnsRE = regexp.MustCompile(` \d+/\d+/\d+/\d+/`)

// normalizeExchange lowers the field names of a response and, when its
// body is a request head an origin echoed, of that head too.
func normalizeExchange(resp string) string {
	head, body, ok := strings.Cut(resp, "\r\n\r\n")
	if !ok {
		return resp
	}
	return lowerNames(head) + "\r\n\r\n" + lowerNames(body)
}

// redirectConfig has redirects of every kind, code and option, from
// http-request rules (log-format values) and `redirect` lines, in a
// frontend and a backend.
const redirectConfig = loggedDefaults + `frontend fe
  bind {BIND}
  http-request redirect scheme https code 301 if { path_beg /s }
  http-request redirect prefix https://x.example drop-query append-slash set-cookie SEEN=1 if { path_beg /p }
  http-request redirect location /new clear-cookie USERID= code 303 if { path_beg /l }
  http-request redirect location %[hdr(x-to)] code 307 ignore-empty if { path_beg /e }
  http-request redirect location http://%[hdr(host)]/h%[path] code 308 if { path_beg /h }
  http-request set-header Host moved.example if { path_beg /m }
  redirect prefix / code 308 set-cookie A if { path_beg /q }
  redirect location http://a.example/ if { path_beg /r }
  redirect scheme http drop-query if { path_beg /m }
  default_backend be
backend be
  http-request redirect scheme https if { path_beg /tls } !{ ssl_fc }
  redirect prefix http://b.example if { path_beg /b }
  redirect scheme https code 301 if !{ ssl_fc } { path_beg /tls2 }
  server s1 {SRV}
`

// TestHTTPRedirectHAProxyDifferential sends requests through haproxy 2.6
// and tether configured by redirectConfig and requires the same replies
// and log lines.
func TestHTTPRedirectHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	origin := headOrigin(t, func(head string) string {
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
	})
	p := startPair(t, bin, redirectConfig, "{SRV}", origin.Addr)
	p.drainLogs(200 * time.Millisecond)
	diffExchanges(t, p, []string{
		"GET /s/a?b=1 HTTP/1.1\r\nHost: h.example\r\n\r\n",
		"GET /s HTTP/1.0\r\n\r\n",
		"HEAD /s HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		"GET http://abs.example/s/x?y HTTP/1.1\r\nHost: abs.example\r\n\r\n",
		"GET /p/a?b=1 HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /p/dir/?b=1 HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /l HTTP/1.0\r\n\r\n",
		"GET /e HTTP/1.1\r\nHost: h\r\nX-To: https://e.example/x\r\n\r\n",
		"GET /e HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /h?x=1 HTTP/1.1\r\nHost: hh\r\n\r\n",
		"GET /m/x?y=2 HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /q?x HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /r HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /b/c?d HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /tls HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /tls2/x HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
		"POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
	})
}

// rewriteConfig rewrites field values, the request target and the
// response status, and answers with return, on requests and responses.
const rewriteConfig = loggedDefaults + `frontend fe
  bind {BIND}
  http-request replace-header Cookie foo=([^;]*);(.*) foo=\1;ip=%[src];\2
  http-request replace-header User-Agent curl foo
  http-request replace-value X-Forwarded-For ^192\.168\.(.*)$ 172.16.\1
  http-request replace-value Accept (.*)/html \1/x-\1\x41\q
  http-request replace-value X-Fail (.*) x\\ if { path_beg /fail }
  http-request set-path /api%[path] if { path_beg /sp }
  http-request set-pathq /pq if { path_beg /pq }
  http-request set-query a=1&%[query] if { path_beg /sq }
  http-request set-query %[hdr(x-q)] if { path_beg /eq }
  http-request set-uri http://other.example/u%[path] if { path_beg /su }
  http-request replace-path /rp/(.*) /new/\1 if { path_beg /rp }
  http-request replace-pathq ([^?]*)(\?(.*))? \1/foo\2 if { path_beg /rq }
  http-request replace-uri ^http://([^/]*)(.*) https://\1\2
  http-request return status 404 content-type text/plain lf-string "no %[path]" hdr X-A "a %[method]" hdr X-B b if { path_beg /ret }
  http-request return if { path_beg /empty }
  http-request return status 503 content-type text/html string "<b>x</b>" if { path_beg /busy }
  http-request set-header X-Path %[path]?%[query] if { path_beg /sp } || { path_beg /rp }
  use_backend b2 if { path_beg /api }
  default_backend be
backend be
  http-response replace-header Set-Cookie (.*);\ path=/ \1;\ Path=/x
  http-response replace-value X-Res ^a$ A
  http-response set-status 299 if { method PUT }
  http-response set-status 404 reason "Gone Away" if { method DELETE }
  http-response return status 403 content-type text/plain string nope if { method PATCH } || { method OPTIONS }
  server s1 {SRV}
backend b2
  http-request replace-path /api/sp(.*) /v2\1
  server s1 {SRV}
`

// TestHTTPRewriteHAProxyDifferential sends requests through haproxy 2.6
// and tether configured by rewriteConfig, in front of an origin that
// answers with the head it received, and requires the same responses and
// log lines.
func TestHTTPRewriteHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	origin := headOrigin(t, func(head string) string {
		return "HTTP/1.1 200 OK\r\nSet-Cookie: s=1; path=/\r\nX-Res: a, b,a\r\n" +
			"Content-Length: " + strconv.Itoa(len(head)) + "\r\nConnection: close\r\n\r\n" + head
	})
	p := startPair(t, bin, rewriteConfig, "{SRV}", origin.Addr)
	p.drainLogs(200 * time.Millisecond)
	fields := "Host: h\r\nCookie: foo=bar;x=1\r\nUser-Agent: curl/7.47\r\nX-Forwarded-For: 192.168.10.1, 192.168.13.24,10.0.0.37\r\nAccept: text/html, a/b\r\n"
	diffExchanges(t, p, []string{
		"GET /plain HTTP/1.1\r\n" + fields + "\r\n",
		"GET /fail HTTP/1.1\r\nHost: h\r\nX-Fail: 1\r\n\r\n",
		"GET /sp/x?y=1 HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /pq/x?y=1 HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /sq/x?y=1 HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /sq/x HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /eq/x HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /eq/x? HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /su/x?z HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /rp/a/b?c HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /rq/a?c=1 HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /rq/a HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET http://abs.example/x?q HTTP/1.1\r\nHost: abs.example\r\n\r\n",
		"GET /ret/z?q HTTP/1.1\r\nHost: h\r\n\r\n",
		"HEAD /ret HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /empty HTTP/1.0\r\n\r\n",
		"GET /busy HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /busy HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi",
		"PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
		"DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n",
		"PATCH /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
		"OPTIONS /x HTTP/1.1\r\nHost: h\r\n\r\n",
	})
}

// TestSendNameHeaderHAProxyDifferential checks http-send-name-header
// against haproxy 2.6: the field names the server each request goes to,
// replaces the client's own, comes before the Connection field the proxy
// adds, and names the server a redispatch retried on.
func TestSendNameHeaderHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	origin := headEchoOrigin(t)
	const cfg = loggedDefaults + `frontend fe
  bind {BIND}
  use_backend retry if { path_beg /retry }
  default_backend be
backend be
  http-send-name-header X-Target
  option http-server-close
  server alpha {SRV}
  server beta {SRV}
backend retry
  balance first
  retries 1
  option redispatch
  http-send-name-header X-Target
  server dead {DEAD}
  server live {SRV}
`
	p := startPair(t, bin, cfg, "{SRV}", origin.Addr, "{DEAD}", deadAddr())
	p.drainLogs(200 * time.Millisecond)
	diffExchanges(t, p, []string{
		"GET /a HTTP/1.1\r\nHost: h\r\nX-Target: forged\r\nx-target: again\r\n\r\n",
		"GET /b HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /c HTTP/1.0\r\n\r\n",
		"GET /retry HTTP/1.1\r\nHost: h\r\n\r\n",
	})
}

// TestRestrictHdrNamesHAProxyDifferential checks `option
// http-restrict-req-hdr-names` against haproxy 2.6: fields with a name
// outside [A-Za-z0-9-] deleted (after the backend's rules: a field they
// add goes too) or the request refused (unless a frontend rule removed
// them), the others kept.
func TestRestrictHdrNamesHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	origin := headEchoOrigin(t)
	const cfg = loggedDefaults + `frontend fe
  bind {BIND}
  http-request del-header X_Fine if { path /rej/fine }
  use_backend rej if { path_beg /rej }
  use_backend clean if { path_beg /clean }
  default_backend be
backend be
  server s1 {SRV}
backend rej
  option http-restrict-req-hdr-names reject
  server s1 {SRV}
backend clean
  option http-restrict-req-hdr-names delete
  http-request add-header X.Added 1
  server s1 {SRV}
`
	p := startPair(t, bin, cfg, "{SRV}", origin.Addr)
	p.drainLogs(200 * time.Millisecond)
	diffExchanges(t, p, []string{
		"GET /plain HTTP/1.1\r\nHost: h\r\nX_Kept: a\r\n\r\n",
		"GET /rej HTTP/1.1\r\nHost: h\r\nX-Ok-1: a\r\n\r\n",
		"GET /rej/bad HTTP/1.1\r\nHost: h\r\nX_Under: a\r\n\r\n",
		"GET /rej/fine HTTP/1.1\r\nHost: h\r\nX_Fine: a\r\n\r\n",
		"GET /clean HTTP/1.1\r\nHost: h\r\nX_Under: a\r\nX.Dot: b\r\nX-Ok: c\r\n\r\n",
	})
}

// TestHTTPCaptureRuleHAProxyDifferential checks `http-request capture
// <sample> len <n>` against haproxy 2.6: its slots take their place among
// the `capture request header` ones in the order of the lines, hold the
// sample cut at their length, and stay empty when the rule does not run
// or the sample has nothing.
func TestHTTPCaptureRuleHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	origin := headOrigin(t, func(string) string {
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
	})
	const cfg = loggedDefaults + `frontend fe
  bind {BIND}
  capture request header Host len 10
  http-request capture req.hdr(User-Agent) len 5
  http-request capture path len 20 if { path_beg /x }
  capture request header X-A len 3
  http-request capture src len 40
  default_backend be
backend be
  server s1 {SRV}
`
	p := startPair(t, bin, cfg, "{SRV}", origin.Addr)
	p.drainLogs(200 * time.Millisecond)
	diffExchanges(t, p, []string{
		"GET /x/a/b HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8\r\nX-A: abcdef\r\n\r\n",
		"GET /y HTTP/1.1\r\nHost: h\r\n\r\n",
	})
}

// TestTCPConnectionRulesHAProxyDifferential checks `tcp-request connection
// accept|reject` against haproxy 2.6: a rejected client is closed before
// a byte, unlogged; the first rule that holds decides.
func TestTCPConnectionRulesHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	origin := headOrigin(t, func(string) string {
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
	})
	for _, rules := range []string{
		"  tcp-request connection reject if { src 127.0.0.0/8 }\n",
		"  tcp-request connection accept if { src 127.0.0.1 }\n  tcp-request connection reject\n",
		"  tcp-request connection reject if { src 10.0.0.0/8 }\n",
		"  tcp-request connection reject unless { src 10.0.0.0/8 }\n",
	} {
		cfg := strings.Replace(pairLogged, "  default_backend be\n", rules+"  default_backend be\n", 1)
		p := startPair(t, bin, cfg, "{SRV}", origin.Addr)
		p.drainLogs(200 * time.Millisecond)
		want, got := p.views(func(s proxySide) string {
			// A rejected connection may be reset before the dial returns.
			out := "closed before a byte"
			if c, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
				_ = c.SetDeadline(time.Now().Add(2 * time.Second))
				_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
				if b, _ := io.ReadAll(c); len(b) > 0 {
					out = normalizeExchange(string(b))
				}
				c.Close()
			}
			line, err := nextLog(s.logs, 500*time.Millisecond)
			if err != nil {
				line = "no log line"
			} else {
				line = logConnsRE.ReplaceAllString(maskLog(line, false), " C/C/C/C/")
			}
			return out + "\n" + line
		})
		if got != want {
			t.Errorf("%q:\nengine:\n%s\nhaproxy:\n%s", rules, got, want)
		}
	}
}
