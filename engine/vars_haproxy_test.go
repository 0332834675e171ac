package engine

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// varsConfig sets variables of every scope from the request's fields, path
// and constants, and from the response's fields, and writes them back in
// request and response fields and log lines, with a unique ID in a field
// sent to the server, in fields rules add and in the log.
const varsConfig = `defaults
  mode http
  log {LOG} local0
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend fe
  bind {BIND}
  unique-id-format %{+X}o%ci:%cp_%fi:%fp_%Ts_%rt:%pid
  unique-id-header X-Unique-ID
  log-format "{FORMAT}"
  http-request set-var(txn.host) req.hdr(host),lower
  http-request set-var(req.path) path
  http-request set-var-fmt(txn.both) %[src]-%[var(txn.host)]
  http-request set-var(txn.ua) req.fhdr(user-agent),upper
  http-request set-var(txn.gone) req.hdr(x-none)
  http-request unset-var(txn.ua) if { path_beg /unset }
  http-request set-var(sess.s) str(sessval)
  http-request set-var(proc.p) method
  http-request set-var(txn.empty) str()
  http-request set-header X-Host %[var(txn.host)]
  http-request set-header X-Path %[var(req.path)]
  http-request set-header X-Both "%[var(txn.both)] %[var(sess.s),upper] %[var(proc.p)]"
  http-request set-header X-Missing %[var(txn.none)]%[var(txn.gone)]
  http-request set-header X-Default %[var(txn.none,dflt)]
  http-request set-header X-UA %[var(txn.ua)]
  http-request set-header X-Empty <%[var(txn.empty)]>
  http-request set-header X-ID %ID
  http-request set-header X-ID2 %[unique-id]
  http-request deny deny_status 403 if { path_beg /deny }
  acl is_api var(txn.host) -m beg api.
  http-request set-header X-Api yes if is_api
  use_backend be2 if { var(req.path) -m beg /two }
  http-response set-var(res.srv) res.hdr(x-r)
  http-response set-header X-Resp-Var ok if { var(txn.host) -m str example.com }
  http-response set-header X-Resp-Def ok if { var(txn.nope,zz) -m str zz } !{ var(req.path) -m found }
  http-response set-header X-Res %[var(res.srv)]-%[var(txn.host)]-%[var(req.path)]-%[var(txn.ua),lower]
  default_backend be
backend be
  server s1 {SRV}
backend be2
  http-request set-header X-Be2 %[var(txn.host)]-%[var(req.path)]
  http-request set-var(txn.host) str(be2)
  server s1 {SRV}
`

// varsLogFormat is the log-format of TestVarsHAProxyDifferential, its
// fields between '~'; those ending in '*' hold the unique ID (ports, dates
// and counters) and are compared by shape.
var varsLogFormat = []string{
	"%[var(txn.host)]", "%[var(txn.both)]", "%{+Q}[var(txn.ua)]", "%[var(req.path)]", "%[var(res.srv)]",
	"%[var(txn.none)]", "%[var(txn.none,dd)]", "%[var(txn.host),upper]", "%[var(sess.s)]", "%[var(proc.p)]",
	"%[var(txn.empty)]", "%ID*", "%{+Q}[unique-id]*", "%{+Q}ID*", "%ST",
}

// uniqueIDRE matches a unique ID of varsConfig's format.
var uniqueIDRE = regexp.MustCompile(`[0-9A-F]{8}:[0-9A-F]{4}_[0-9A-F]{8}:[0-9A-F]{4}_[0-9A-F]{8}_[0-9A-F]{4}:[0-9A-F]{4}`)

// TestVarsHAProxyDifferential sends requests through haproxy 2.6 and
// tether configured by varsConfig, in front of an origin that echoes the
// head it received, and requires the same responses and log lines, unique
// IDs compared by shape.
func TestVarsHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	origin := headOrigin(t, func(head string) string {
		return "HTTP/1.1 200 OK\r\nX-R: FromSrv\r\nContent-Length: " + strconv.Itoa(len(head)) + "\r\nConnection: close\r\n\r\n" + head
	})
	var format []string
	var masked []bool
	for _, v := range varsLogFormat {
		format = append(format, strings.TrimSuffix(v, "*"))
		masked = append(masked, strings.HasSuffix(v, "*"))
	}
	cfg := strings.Replace(varsConfig, "{FORMAT}", strings.Join(format, "~"), 1)
	reqs := []string{
		"GET /a/b?q HTTP/1.1\r\nHost: Example.COM\r\nUser-Agent: Curl/8, x\r\n\r\n",
		"GET /unset HTTP/1.1\r\nHost: h\r\nUser-Agent: ua\r\n\r\n",
		"GET /deny HTTP/1.1\r\nHost: D\r\n\r\n",
		"GET /two/x HTTP/1.1\r\nHost: API.example\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
	}
	p := startPair(t, bin, cfg, "{SRV}", origin.Addr)
	p.drainLogs(200 * time.Millisecond)
	for _, req := range reqs {
		want, got := p.views(func(s proxySide) string {
			resp := s.send(t, req).untilQuiet(500 * time.Millisecond)
			return uniqueIDRE.ReplaceAllString(normalizeExchange(resp), "<ID>")
		})
		if got != want {
			t.Errorf("%q:\nengine:\n%s\nhaproxy:\n%s", req, got, want)
		}
	}
	p2 := startPair(t, bin, cfg, "{SRV}", origin.Addr)
	logFormatRuns(t, p2, masked, reqs)
}

// varsSessConfig keeps a sess variable from the first request of a client
// connection that names a user, and shows it, with a txn variable set the
// same way, in the requests and responses that follow.
const varsSessConfig = `defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend fe
  bind {BIND}
  http-request set-var(sess.user) req.hdr(x-user) if { req.hdr(x-user) -m found }
  http-request set-var(txn.user) req.hdr(x-user) if { req.hdr(x-user) -m found }
  http-request set-header X-Sess <%[var(sess.user)]>
  http-request set-header X-Txn <%[var(txn.user)]>
  http-response set-header X-Sess-Res <%[var(sess.user,none)]>
  default_backend be
backend be
  server s1 {SRV}
`

// TestVarsSessHAProxyDifferential checks against haproxy 2.6 that a sess
// variable lives as long as the client connection: the connection's next
// requests see it, a txn variable is gone, and another connection starts
// without it.
func TestVarsSessHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	origin := headOrigin(t, func(head string) string {
		return "HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(head)) + "\r\nConnection: close\r\n\r\n" + head
	})
	p := startPair(t, bin, varsSessConfig, "{SRV}", origin.Addr)
	want, got := p.views(func(s proxySide) string {
		c := s.send(t, "GET /1 HTTP/1.1\r\nHost: h\r\nX-User: alice\r\n\r\n")
		out := normalizeExchange(c.untilQuiet(300 * time.Millisecond))
		for _, req := range []string{"GET /2 HTTP/1.1\r\nHost: h\r\n\r\n", "GET /3 HTTP/1.1\r\nHost: h\r\nX-User: bob\r\n\r\n"} {
			c.send(req)
			out += "\n--\n" + normalizeExchange(c.untilQuiet(300*time.Millisecond))
		}
		other := s.send(t, "GET /4 HTTP/1.1\r\nHost: h\r\n\r\n")
		return out + "\n--\n" + normalizeExchange(other.untilQuiet(300*time.Millisecond))
	})
	if got != want {
		t.Errorf("engine:\n%s\nhaproxy:\n%s", got, want)
	}
	if !strings.Contains(strings.ToLower(want), "x-sess: <alice>") {
		t.Errorf("haproxy did not keep the sess variable:\n%s", want)
	}
}
