package engine

import (
	"fmt"
	"net"
	"runtime"
	"testing"
	"time"
)

// BenchmarkHTTPKeepAlive measures one keep-alive request with cookie
// persistence through a real engine on loopback, client and origin in the
// same process; mallocs/req counts every allocation of the process.
func BenchmarkHTTPKeepAlive(b *testing.B) {
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nCache-Control: max-age=60\r\n\r\nhello")
	origin := rawOrigin(b, resp)
	cfg := fmt.Sprintf(`global
  nbthread 1
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:%d
  default_backend be
backend be
  cookie SRV insert indirect nocache
  server s1 %s cookie a
`, freePort(), origin)
	_, addr := startEngine(b, cfg)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Minute))
	req := []byte("GET /x HTTP/1.1\r\nHost: x\r\nCookie: a=1; SRV=a; b=2\r\n\r\n")
	buf := make([]byte, 4096)
	if err := keepAliveRun(c, req, len(resp), 1000, buf); err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	if err := keepAliveRun(c, req, len(resp), b.N, buf); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N), "mallocs/req")
}
