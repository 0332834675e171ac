package engine

import (
	"net"
	"strings"
	"testing"
	"time"
)

// BenchmarkRetryKeepAlivePost measures a keep-alive POST with a small body
// through a real engine on loopback, without retry-on and with a retry-on
// that keeps each request for layer 7 retries (the baseline is "off").
func BenchmarkRetryKeepAlivePost(b *testing.B) {
	for _, c := range []struct{ name, line string }{
		{"off", ""},
		{"all-retryable-errors", "  retry-on all-retryable-errors\n"},
	} {
		b.Run(c.name, func(b *testing.B) {
			origin := rawOrigin(b, keepAliveResp, 1)
			cfg := "global\n  nbthread 1\n" + backendConfig(c.line+"  server s1 %s\n", origin)
			_, addr := startEngine(b, cfg)
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Minute))
			req := []byte("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 512\r\n\r\n" + strings.Repeat("b", 512))
			buf := make([]byte, 4096)
			if err := keepAliveRun(conn, req, len(keepAliveResp), 1000, buf); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			if err := keepAliveRun(conn, req, len(keepAliveResp), b.N, buf); err != nil {
				b.Fatal(err)
			}
		})
	}
}
