package engine

import (
	"testing"
	"time"
)

// TestHTTPZeroAllocKeepAliveSendProxy: keep-alive requests to a server
// with send-proxy allocate nothing either: each reuses the connection
// after comparing the PROXY header it would send with the connection's.
func TestHTTPZeroAllocKeepAliveSendProxy(t *testing.T) {
	if httpRace {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	origin := rawOrigin(t, keepAliveResp, 1)
	cfg := "global\n  nbthread 1\n" + backendConfig("  source 127.0.0.2\n  server s1 %s send-proxy\n", origin)
	_, addr := startEngineTick(t, cfg, 100*time.Millisecond)
	allocsPerRequest(t, addr, []byte("GET /x HTTP/1.1\r\nHost: x\r\n\r\n"), len(keepAliveResp))
}
