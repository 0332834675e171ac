package engine

import (
	"fmt"
	"testing"
	"time"
)

// TestHTTPTrailersZeroAlloc: a keep-alive exchange of a chunked request and
// a chunked response, both with trailers, allocates nothing in the steady
// state.
func TestHTTPTrailersZeroAlloc(t *testing.T) {
	if httpRace {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	const trailer = "X-Sum: 1\r\nContent-Length: 5, 5\r\nConnection:\r\n\r\n"
	resp := []byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n" + trailer)
	origin := rawOrigin(t, resp, 2)
	cfg := fmt.Sprintf("global\n  nbthread 1\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n"+
		"frontend fe\n  bind 127.0.0.1:%d\n  default_backend be\nbackend be\n  server s1 %s\n", freePort(), origin)
	_, addr := startEngineTick(t, cfg, 100*time.Millisecond) // see TestHTTPZeroAllocKeepAlive
	req := []byte("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n" + trailer)
	want := "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\nContent-Length: 5\r\n\r\n"
	if got := string(allocsPerRequest(t, addr, req, len(want))); got != want {
		t.Fatalf("response %q, want %q", got, want)
	}
}
