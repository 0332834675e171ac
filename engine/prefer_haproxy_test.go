package engine

import (
	"strings"
	"testing"
)

// preferTemplate is the configuration of the prefer-last-server
// differential tests: one thread, three servers on origins of their own,
// the algorithm {ALGO}, the http-reuse mode {MODE}, the options {OPTS}
// (lines) and the server options {SRVOPTS}.
const preferTemplate = `global
  nbthread 1
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
  timeout queue 3s
frontend fe
  bind {BIND}
  default_backend be
backend be
  balance {ALGO}
  http-reuse {MODE}
{OPTS}
  server s1 {S1} {SRVOPTS}
  server s2 {S2} {SRVOPTS}
  server s3 {S3} {SRVOPTS}
`

// preferPatterns are client patterns (see reuseSteps) where a client's
// requests may go back to a server or move on.
var preferPatterns = []reuseSteps{
	{"Ar", "Ar", "Br", "Ar", "Br", "Cr", "Ar", "Cr"},
	{"Ar", "Br", "Ax", "Cr", "Ar", "Br", "Ar"},
	{"As", "Bs", "Cr", "Aw", "Bw", "Ar", "Br", "Cr"},
	{"Ac", "Ar", "Bc", "Br", "Ar", "Br"},
}

// preferFull runs with maxconn 1: A's preferred server is busy with D's
// slow request when A asks again, and A waits for it.
var preferFull = reuseSteps{"Ar", "Bs", "Cr", "Ds", "Ar", "Bw", "Dw", "Ar", "Cr"}

// TestPreferHAProxyDifferential runs client patterns through haproxy 2.6
// and the engine, each in front of its own three origins, and compares,
// request by request, which server and which of its connections served
// it: with `option prefer-last-server` under every reuse mode, with
// max-keep-alive-queue bounding the wait for a busy server (HAProxy
// prefers only the connections a client keeps for itself: all of them
// under http-reuse never, none otherwise), with each algorithm that keeps
// no hash, and after a server asked for NTLM authentication without the
// option (the client then stays on that server).
func TestPreferHAProxyDifferential(t *testing.T) {
	bin := haproxyBinLong(t)
	const prefer = "  option prefer-last-server"
	cases := []struct {
		name, algo, mode, opts, srvOpts string
		patterns                        []reuseSteps
	}{
		{"roundrobin never", "roundrobin", "never", prefer, "", preferPatterns},
		{"roundrobin never without", "roundrobin", "never", "", "", preferPatterns},
		{"roundrobin safe", "roundrobin", "safe", prefer, "", preferPatterns},
		{"roundrobin always", "roundrobin", "always", prefer, "", preferPatterns},
		{"static-rr never", "static-rr", "never", prefer, "weight 2", preferPatterns},
		{"leastconn never", "leastconn", "never", prefer, "", preferPatterns},
		{"first never", "first", "never", prefer + "\n  no option prefer-last-server", "maxconn 1", preferPatterns},
		{"maxconn never", "roundrobin", "never", prefer, "maxconn 1", []reuseSteps{preferFull}},
		{"maxconn never without", "roundrobin", "never", "", "maxconn 1", []reuseSteps{preferFull}},
		{"maxconn never kaqueue 0", "roundrobin", "never", prefer + "\n  max-keep-alive-queue 0", "maxconn 1", []reuseSteps{preferFull}},
		{"maxconn never kaqueue 1", "roundrobin", "never", prefer + "\n  max-keep-alive-queue 1", "maxconn 1", []reuseSteps{preferFull}},
		{"ntlm safe", "roundrobin", "safe", "", "", []reuseSteps{reuseNTLM}},
		{"ntlm leastconn", "leastconn", "safe", "", "", []reuseSteps{reuseNTLM}},
		{"ntlm uri", "uri", "safe", "", "", []reuseSteps{reuseNTLM}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got [2]string
			for side := range 2 {
				var all []string
				for _, p := range tc.patterns {
					// New origins and proxies per pattern: every pattern
					// starts from the first server.
					addr := startSide(t, bin, side, preferTemplate, "{ALGO}", tc.algo, "{MODE}", tc.mode,
						"{OPTS}", tc.opts, "{SRVOPTS}", tc.srvOpts,
						"{S1}", namedConnOrigin(t, "s1."), "{S2}", namedConnOrigin(t, "s2."), "{S3}", namedConnOrigin(t, "s3.")).addr
					all = append(all, p.runNamed(t, addr))
				}
				got[side] = strings.Join(all, "\n")
			}
			t.Logf("servers through haproxy:\n%s", got[0])
			if got[0] != got[1] {
				t.Errorf("haproxy:\n%s\nengine:\n%s", got[0], got[1])
			}
		})
	}
}

// runNamed plays steps as run does and returns the server and origin
// connection each request arrived on: "A:s1.1 B:s2.1 ...".
func (steps reuseSteps) runNamed(t *testing.T, addr string) string {
	t.Helper()
	return steps.play(t, addr, func(who byte, body string) string { return string(who) + ":" + body })
}
