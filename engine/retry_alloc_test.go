package engine

import (
	"testing"
	"time"
)

// TestRetryZeroAlloc: a backend with layer 7 retries keeps each request's
// body for them without allocating, for a Content-Length body written
// with the head and for a chunked one copied by the tee.
func TestRetryZeroAlloc(t *testing.T) {
	if httpRace {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	for _, c := range []struct {
		name   string
		req    string
		blanks int // empty lines in the request: the origin answers at the last
	}{
		{"length", "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 1},
		{"chunked", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			origin := rawOrigin(t, keepAliveResp, c.blanks)
			cfg := "global\n  nbthread 1\n" + backendConfig("  retry-on all-retryable-errors 404\n  server s1 %s\n", origin)
			_, addr := startEngineTick(t, cfg, 100*time.Millisecond)
			allocsPerRequest(t, addr, []byte(c.req), len(keepAliveResp))
		})
	}
}
