package engine

import (
	"strings"
	"testing"
)

// limitsRequests probe the edges of what HAProxy 2.6 takes in a request
// head: sizes against tune.bufsize less tune.maxrewrite (15360 bytes by
// default), the field count against tune.http.maxhdr, versions and
// targets. Each is followed by a plain GET on the same connection (see
// runHeads).
var limitsRequests = []string{
	"GET /uri?%d&" + strings.Repeat("a", 15000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /uri?%d&" + strings.Repeat("a", 15400) + " HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /uri?%d&" + strings.Repeat("a", 17000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /field?%d HTTP/1.1\r\nHost: x\r\nX-A: " + strings.Repeat("a", 15000) + "\r\n\r\n",
	"GET /field?%d HTTP/1.1\r\nHost: x\r\nX-A: " + strings.Repeat("a", 15400) + "\r\n\r\n",
	"GET /field?%d HTTP/1.1\r\nHost: x\r\nX-A: " + strings.Repeat("a", 17000) + "\r\n\r\n",
	"GET /fields?%d HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-F: v\r\n", 99) + "\r\n",
	"GET /fields?%d HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-F: v\r\n", 100) + "\r\n",
	"GET /v12?%d HTTP/1.2\r\nHost: x\r\n\r\n",
	"GET /v19?%d HTTP/1.9\r\nHost: x\r\nConnection: close\r\n\r\n",
	"GET /frag?%d#x HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET http://x/frag?%d#x HTTP/1.1\r\nHost: x\r\n\r\n",
}

// TestLimitsHAProxyDifferential sends limitsRequests through haproxy 2.6
// and the engine and compares what the server and the client see: HAProxy
// answers a head over its buffer with its 400 (it has no 414 or 431),
// reads HTTP/1.2 as 1.1 and forwards it so, and refuses a fragment.
func TestLimitsHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBin(t)
	ho := startHeadsOrigin(t)
	want := runHeads(t, startSide(t, bin, sideHAProxy, pairLong, "{SRV}", ho.ln.Addr().String()).addr, ho, limitsRequests)
	to := startHeadsOrigin(t)
	got := runHeads(t, startSide(t, bin, sideEngine, pairLong, "{SRV}", to.ln.Addr().String()).addr, to, limitsRequests)
	compareHeads(t, limitsRequests, got, want)
}
