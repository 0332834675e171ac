package engine

import (
	"net"
	"runtime"
	"testing"
	"time"
)

// BenchmarkHTTPKeepAlive measures one keep-alive request with cookie
// persistence through a real engine on loopback, client and origin in the
// same process; mallocs/req counts every allocation of the process.
func BenchmarkHTTPKeepAlive(b *testing.B) {
	cfg := keepAliveConfig(b)
	_, addr := startEngine(b, cfg)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Minute))
	req := []byte("GET /x HTTP/1.1\r\nHost: x\r\nCookie: a=1; SRV=a; b=2\r\n\r\n")
	buf := make([]byte, 4096)
	if err := keepAliveRun(c, req, len(keepAliveResp), 1000, buf); err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	if err := keepAliveRun(c, req, len(keepAliveResp), b.N, buf); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N), "mallocs/req")
}
